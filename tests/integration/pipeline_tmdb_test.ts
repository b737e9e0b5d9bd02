/** The recommend DAG's ingest task from TMDB without usable credentials: a permanent failure, one attempt, no secret stored or logged. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { dbTest } from "../helpers/db.ts";
import { startFakeTmdb } from "../fixtures/tmdb/fake_server.ts";
import { fakeTimers } from "../unit/pipeline/support.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";

/** A TMDB run of the real DAG on `env`; everything it stored and logged. */
async function tmdbRun(db: Database, env: Record<string, string>) {
  const lines: string[] = [];
  // No secrets to scrub: what is checked is that the key never gets into a message at all.
  configureLogging({ level: "debug", secrets: [], write: (l) => lines.push(l) });
  const ctx = createContext({ config: loadConfig(env), db, objects: new MemoryObjectStore() });
  const t = fakeTimers();
  const engine = await startPipelineEngine(ctx, { metrics: createMetrics(), timers: t.timers });
  try {
    const run = await engine.run({
      dag: "recommend",
      trigger: "manual",
      params: { source: "tmdb", pages: 1, users: 5 },
    });
    const attempts = await engine.listAttempts(run.id);
    const logs = await engine.readLogs(run.id);
    return { run, attempts, logs, lines, sleeps: t.sleeps };
  } finally {
    await engine.close();
    configureLogging({ level: "silent", write: (l) => console.error(l) });
  }
}

type Outcome = Awaited<ReturnType<typeof tmdbRun>>;

function assertFailedOnce(o: Outcome, reason: RegExp): void {
  assert.equal(o.run.status, "failed");
  assert.match(o.run.statusReason!, reason);
  assert.deepEqual(
    o.attempts.map((a) => [a.taskId, a.attempt, a.status, a.permanent]),
    [["ingest", 1, "failed", true]],
  );
  assert.deepEqual(o.sleeps, [], "no retry was scheduled");
  assert.deepEqual(o.run.tasks.map((t) => [t.taskId, t.status, t.tries]).slice(0, 2), [
    ["ingest", "failed", 1],
    ["snapshot", "upstream_failed", 0],
  ]);
  assert.ok(
    o.logs.some((l) => /with a permanent error; not retried/.test(l.message)),
    JSON.stringify(o.logs),
  );
}

dbTest(
  "ingest from TMDB with no key fails at once: one attempt, a reason naming TMDB_API_KEY",
  async (db) => {
    const o = await tmdbRun(db, {});
    assertFailedOnce(o, /^task "ingest" failed: TMDB needs credentials: set TMDB_API_KEY/);
  },
);

for (const variable of ["TMDB_API_KEY", "TMDB_READ_TOKEN"]) {
  dbTest(
    `a ${variable} that TMDB rejects fails ingest once, and the secret is neither stored nor logged`,
    async (db) => {
      const secret = `wrong-${variable.toLowerCase()}-5f1c2a9e`;
      const tmdb = startFakeTmdb({ apiKey: "the-right-key-0000" });
      try {
        const o = await tmdbRun(db, { [variable]: secret, TMDB_BASE_URL: tmdb.baseUrl });
        assertFailedOnce(
          o,
          /TMDB rejected the credentials .*check TMDB_API_KEY or TMDB_READ_TOKEN/,
        );
        assert.equal(tmdb.requests.length, 1, "neither the client nor the engine asked again");
        const seen = tmdb.requests[0];
        assert.ok(
          seen.query.get("api_key") === secret || seen.authorization === `Bearer ${secret}`,
          "the secret was sent to TMDB",
        );
        const stored = JSON.stringify([o.run, o.attempts, o.logs]);
        assert.ok(!stored.includes(secret), `the secret is stored: ${stored}`);
        assert.ok(o.lines.length > 0);
        assert.ok(!o.lines.join("\n").includes(secret), "the secret is in the process log");
      } finally {
        await tmdb.close();
      }
    },
  );
}
