/** The pipeline across real processes: a run killed with SIGKILL is marked failed by the next process; two processes triggering at once make one run. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/open.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { defineDag } from "../../src/pipeline/dag.ts";
import { PipelineEngine } from "../../src/pipeline/engine.ts";
import { SqlPipelineStore } from "../../src/pipeline/sql_store.ts";

const databaseUrl = loadConfig().databaseUrl;
const CHILD = new URL("../fixtures/pipeline/child.ts", import.meta.url).pathname;

/** The same DAG id as the child's, with tasks that finish at once. */
const quickDag = defineDag({
  id: "job",
  description: "",
  params: {},
  tasks: [
    { id: "first", description: "", run: () => Promise.resolve(1) },
    { id: "hold", description: "", upstream: ["first"], run: () => Promise.resolve(2) },
  ],
});

function engineOn(db: Database, options: { clock?: () => Date; exclusive?: boolean } = {}) {
  return new PipelineEngine({
    store: new SqlPipelineStore(db, { clock: options.clock }),
    dags: [quickDag],
    deps: undefined,
    metrics: createMetrics(),
    clock: options.clock,
    exclusive: options.exclusive,
  });
}

/** A child process (on PostgreSQL when given a schema, else PGlite in `dataDir`) and a reader of its stdout lines. */
function spawnChild(args: { mode: string; dataDir: string; schema: string; dir: string }) {
  const url = args.schema ? databaseUrl! : "";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, args.mode, args.dataDir, url, args.schema, args.dir],
    env: { DATABASE_URL: url },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    child,
    /** Reads until a line matches `re`; returns the match. */
    async waitFor(re: RegExp): Promise<RegExpMatchArray> {
      for (;;) {
        const m = text.match(re);
        if (m) return m;
        const { value, done } = await reader.read();
        if (done) throw new Error(`the child ended without printing ${re}:\n${text}`);
        text += value;
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
      return await child.status;
    },
  };
}

const backends = databaseUrl ? ["pglite on disk", "postgres"] : ["pglite on disk"];
for (const backend of backends) {
  Deno.test(`a run killed with SIGKILL is marked failed by the next process, and a new run completes [${backend}]`, async () => {
    configureLogging({ level: "silent" });
    const dir = await Deno.makeTempDir({ prefix: "reelrank-pipeline-kill-" });
    const pg = backend === "postgres";
    const schema = pg ? `pk_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}` : "";
    const config = { dataDir: dir, databaseUrl: pg ? databaseUrl : undefined };
    if (pg) await (await openDatabase(config, { schema })).close(); // migrations first
    try {
      const c = spawnChild({ mode: "block", dataDir: dir, schema, dir });
      const [, killed] = await c.waitFor(/HOLD (\S+)\n/);
      c.child.kill("SIGKILL");
      assert.equal((await c.close()).signal, "SIGKILL");

      const db = await openDatabase(config, { schema: schema || undefined });
      try {
        const store = new SqlPipelineStore(db);
        assert.equal((await store.getRun(killed)).status, "running");
        if (pg) {
          // On a shared server the run may belong to a live process elsewhere until its
          // heartbeat is older than the threshold.
          await assert.rejects(
            engineOn(db).trigger({ dag: "job", trigger: "manual" }),
            /already has an active run/,
          );
        }
        // The next process: on PGlite it holds the folder, so every active run is dead; on
        // PostgreSQL it looks ten minutes later, past the 5-minute heartbeat threshold.
        const later = () => new Date(Date.now() + 10 * 60_000);
        const engine = engineOn(db, pg ? { clock: later } : { exclusive: true });
        await engine.start();
        const run = await engine.run({ dag: "job", trigger: "manual" });
        assert.equal(run.status, "success");
        const dead = await store.getRun(killed);
        assert.equal(dead.status, "failed");
        assert.match(
          dead.statusReason!,
          pg ? /no heartbeat for more than 300 s/ : /stopped without finishing/,
        );
        assert.deepEqual(dead.tasks.map((t) => t.status), ["success", "failed"]);
        const attempts = await store.listAttempts(killed);
        assert.deepEqual(attempts.map((a) => [a.taskId, a.status]), [["first", "success"], [
          "hold",
          "failed",
        ]]);
        if (schema) await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test({
  name: "two processes triggering the same DAG at once make exactly one run [postgres]",
  ignore: !databaseUrl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reelrank-pipeline-race-" });
    const schema = `pr_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const config = { dataDir: dir, databaseUrl };
    await (await openDatabase(config, { schema })).close();
    try {
      const kids = [0, 1].map(() => spawnChild({ mode: "race", dataDir: dir, schema, dir }));
      for (const k of kids) await k.waitFor(/READY\n/);
      await Deno.writeTextFile(`${dir}/barrier`, "");
      const outcomes = await Promise.all(kids.map((k) => k.waitFor(/(TRIGGERED|CONFLICT) (.*)\n/)));
      const won = outcomes.filter((m) => m[1] === "TRIGGERED");
      assert.equal(won.length, 1, outcomes.map((m) => m[0]).join(""));
      const lost = outcomes.find((m) => m[1] === "CONFLICT")!;
      assert.match(lost[2], new RegExp(`already has an active run \\(${won[0][2]}`));
      await Deno.writeTextFile(`${dir}/go`, "");
      const winner = kids[outcomes.indexOf(won[0])];
      await winner.waitFor(/DONE success\n/);
      for (const k of kids) assert.equal((await k.close()).code, 0);
      const db = await openDatabase(config, { schema });
      try {
        const runs = await db.query<{ id: string; status: string }>(
          "SELECT id, status FROM pipeline_runs",
        );
        assert.deepEqual(runs, [{ id: won[0][2], status: "success" }]);
        await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
