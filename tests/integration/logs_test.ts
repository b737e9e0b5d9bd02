/**
 * The logs of a representative run — a TMDB ingest with retries, a MovieLens ingest, a snapshot,
 * training, serving with traffic, a failed model load, admin calls with the token, drift with a
 * retrain, an internal error — captured at debug level with the test secrets configured: no
 * secret appears, every line is JSON with its ids, and every LogQL query of the dashboards selects
 * real lines using only promtail's labels and fields the logger emits.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { ingestTmdb } from "../../src/data/ingest_tmdb.ts";
import { TmdbClient } from "../../src/data/tmdb.ts";
import { configureLogging } from "../../src/log.ts";
import { checkDrift } from "../../src/observability/drift/check.ts";
import { startFakeTmdb } from "../fixtures/tmdb/fake_server.ts";
import { backends, withDatabase } from "../helpers/db.ts";
import { jsonFields, parseLogQL, select, type ShippedLine } from "../helpers/logql.ts";
import { allQueries, MONITORING } from "../helpers/monitoring.ts";
import { observedServer } from "../helpers/observed_server.ts";
import {
  ADMIN_TOKEN,
  CORPUS_AWS_SECRET,
  CORPUS_DB_PASSWORD,
  CORPUS_TMDB_KEY,
} from "../helpers/secrets.ts";

const TMDB_KEY = CORPUS_TMDB_KEY;
const AWS_SECRET = CORPUS_AWS_SECRET;
const DB_PASSWORD = CORPUS_DB_PASSWORD;
const SECRETS = [TMDB_KEY, AWS_SECRET, DB_PASSWORD, ADMIN_TOKEN];

/** Runs the operations and returns every line the logger wrote. */
async function captureRun(): Promise<{ lines: string[]; tmdbSawKey: boolean }> {
  const lines: string[] = [];
  const config = loadConfig({
    TMDB_API_KEY: TMDB_KEY,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    DATABASE_URL: `postgres://reelrank:${DB_PASSWORD}@127.0.0.1:5432/none`,
    REELRANK_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  configureLogging({
    level: "debug",
    secrets: [...config.secrets],
    write: (l) => lines.push(l),
  });
  let tmdbSawKey = false;
  try {
    await withDatabase(backends()[0], async (db) => {
      const tmdb = startFakeTmdb({ apiKey: TMDB_KEY });
      tmdb.fail("/movie/popular", { status: 429, headers: { "retry-after": "1" } }, {
        status: 503,
      });
      try {
        const client = new TmdbClient({
          baseUrl: tmdb.baseUrl,
          apiKey: TMDB_KEY,
          rateLimit: 1000,
          sleep: () => Promise.resolve(),
        });
        await ingestTmdb(db, client, { pages: 2 });
        tmdbSawKey = tmdb.requests.some((r) => r.query.get("api_key") === TMDB_KEY);
      } finally {
        await tmdb.close();
      }
      await db.exec("DELETE FROM movies; DELETE FROM rejected_rows; DELETE FROM ingest_runs");
      const server = await observedServer(db, { logLevel: "debug", config });
      try {
        const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
        for (const headers of [auth, { authorization: "Bearer wrong-token-000000" }]) {
          const res = await fetch(`${server.url}/api/v1/models/rollback`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: "{}",
          });
          await res.body?.cancel();
        }
        await checkDrift(server.ctx, {
          threshold: 0.2,
          retrain: true,
          trigger: () => Promise.resolve({ runId: "pipeline-run-corpus" }),
          minSample: 200,
        });
        await db.exec("DROP TABLE batch_recommendations");
        const res = await fetch(`${server.url}/api/v1/recommendations/latest`, {
          headers: { "x-request-id": "corpus-request-1" },
        });
        await res.body?.cancel();
        assert.equal(res.status, 500);
      } finally {
        await server.close();
      }
    });
  } finally {
    configureLogging({ level: "warn", secrets: [], write: (l) => console.error(l) });
  }
  return { lines, tmdbSawKey };
}

let run: Promise<{ lines: string[]; tmdbSawKey: boolean }> | undefined;
const captured = () => run ??= captureRun();

/** promtail's fixed labels and the JSON fields it turns into labels (monitoring/promtail.yml). */
async function promtail(): Promise<{ labels: Record<string, string>; fromJson: string[] }> {
  const cfg = parse(await Deno.readTextFile(`${MONITORING}promtail.yml`)) as {
    scrape_configs: {
      static_configs: { labels: Record<string, string> }[];
      pipeline_stages: Record<string, Record<string, unknown> | null>[];
    }[];
  };
  const [job] = cfg.scrape_configs;
  const labels = Object.fromEntries(
    Object.entries(job.static_configs[0].labels).filter(([k]) => !k.startsWith("__")),
  );
  const fromJson = job.pipeline_stages.flatMap((s) => (s.labels ? Object.keys(s.labels) : []));
  return { labels, fromJson };
}

/** The captured lines as promtail ships them. */
async function shipped(lines: string[]): Promise<ShippedLine[]> {
  const { labels, fromJson } = await promtail();
  return lines.map((line) => {
    const fields = JSON.parse(line);
    return {
      labels: { ...labels, ...Object.fromEntries(fromJson.map((f) => [f, String(fields[f])])) },
      line,
    };
  });
}

Deno.test("the logs of a representative run never carry a test secret, raw or encoded", async () => {
  const { lines, tmdbSawKey } = await captured();
  assert.ok(tmdbSawKey, "the TMDB key was not even used");
  assert.ok(lines.length > 30, `only ${lines.length} lines`);
  const text = lines.join("\n");
  for (const secret of SECRETS) {
    for (const form of [secret, encodeURIComponent(secret), btoa(secret)]) {
      assert.ok(!text.includes(form), `a log line carries ${form.slice(0, 6)}…`);
    }
  }
});

Deno.test("every log line is JSON with level, time, module and msg; an API error carries its request id", async () => {
  const { lines } = await captured();
  const parsed = lines.map((l) => JSON.parse(l));
  for (const p of parsed) {
    assert.match(p.level, /^(debug|info|warn|error)$/);
    assert.ok(!Number.isNaN(Date.parse(p.time)), p.time);
    assert.equal(typeof p.module, "string");
    assert.equal(typeof p.msg, "string");
  }
  const failed = parsed.find((p) => p.msg === "request failed");
  assert.equal(failed?.request_id, "corpus-request-1");
  assert.equal(failed?.level, "error");
  const retrain = parsed.find((p) => p.msg === "data drift: retraining started");
  assert.equal(retrain?.run_id, "pipeline-run-corpus");
  const modules = new Set(parsed.map((p) => p.module));
  for (const m of ["data/tmdb", "data/ingest_movielens", "snapshot", "serving/reload", "api"]) {
    assert.ok(modules.has(m), `no line from ${m}: ${[...modules]}`);
  }
});

Deno.test("promtail ships the lines with the small fixed label set job, role and level", async () => {
  const { labels, fromJson } = await promtail();
  assert.deepEqual([...Object.keys(labels), ...fromJson].sort(), ["job", "level", "role"]);
});

Deno.test("every LogQL query of the dashboards uses real labels and fields and selects real lines", async () => {
  const lines = await shipped((await captured()).lines);
  const labels = new Set(lines.flatMap((l) => Object.keys(l.labels)));
  const fields = new Set(lines.flatMap((l) => Object.keys(jsonFields(l.line))));
  const queries = (await allQueries()).filter((q) => q.lang === "logql");
  assert.ok(queries.length >= 5);
  for (const q of queries) {
    const parsed = parseLogQL(q.expr);
    for (const m of parsed.selector) {
      assert.ok(labels.has(m.name), `${q.where}: ${m.name} is not a promtail label`);
    }
    for (const name of [...parsed.filters.map((f) => f.name), ...parsed.by]) {
      assert.ok(labels.has(name) || fields.has(name), `${q.where}: no line has ${name}`);
    }
    assert.ok(select(parsed, lines).length > 0, `${q.where}: selects no line of the run`);
  }
});

Deno.test("the LogQL checker rejects what it does not understand and filters like Loki", () => {
  assert.throws(() => parseLogQL('{job="reelrank"} |= "x"'), /before \| json is not supported/);
  assert.throws(() => parseLogQL('{job="reelrank"} | json | level > 3'), /not a LogQL matcher/);
  const line = (o: object, level = "info") => ({
    labels: { job: "reelrank", level },
    line: JSON.stringify(o),
  });
  const lines = [
    line({ module: "data/tmdb", error: { name: "E" } }),
    line({ module: "api" }, "error"),
  ];
  assert.equal(select(parseLogQL('{job="reelrank"} | json | module=~"data/.*"'), lines).length, 1);
  assert.equal(select(parseLogQL('{job="reelrank"} | json | module=~"data"'), lines).length, 0);
  assert.equal(select(parseLogQL('{job="reelrank"} | json | error_name = "E"'), lines).length, 1);
  assert.equal(select(parseLogQL('{level="error"} | json | request_id != ""'), lines).length, 0);
});
