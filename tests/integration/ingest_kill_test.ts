/** kill -9 in the middle of an ingest leaves whole batches behind, and a re-run completes the data. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/open.ts";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";

const databaseUrl = loadConfig().databaseUrl;
const CHILD = new URL("../fixtures/ingest/ingest_child.ts", import.meta.url).pathname;
const BUNDLED = new URL("../../data/ml-latest-small", import.meta.url).pathname;

Deno.test(`an ingest killed with SIGKILL leaves a consistent database that a re-run completes [${databaseUrl ? "postgres" : "pglite on disk"}]`, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "reelrank-kill-" });
  const schema = databaseUrl ? `k_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}` : "";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dataDir, databaseUrl ?? "", schema],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  // Kill once the third ratings batch has committed: mid-way through 100,836 ratings.
  while (!/interactions 15000\n/.test(seen)) {
    const { value, done } = await lines.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGKILL");
  await lines.cancel();
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `the child finished before it was killed:\n${seen}`);

  const db = await openDatabase({ dataDir, databaseUrl }, { schema: schema || undefined });
  try {
    const [mid] = await db.query<{ movies: number; interactions: number; status: string }>(
      `SELECT (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM interactions)::int AS interactions,
         (SELECT status FROM ingest_runs ORDER BY id LIMIT 1) AS status`,
    );
    assert.equal(mid.movies, 9742, "the movie batches committed before the ratings started");
    assert.ok(
      mid.interactions >= 15000 && mid.interactions < 100836 && mid.interactions % 5000 === 0,
      `only whole batches are stored, got ${mid.interactions}`,
    );
    assert.equal(mid.status, "running");

    const report = await ingestMovieLens(db, { path: BUNDLED });
    assert.deepEqual(report.totals, {
      movies: 9742,
      users: 610,
      interactions: 100836,
      rejectedRows: 1,
    });
    assert.equal(report.tables.interactions.unchanged, mid.interactions);
    assert.equal(report.tables.interactions.inserted, 100836 - mid.interactions);
    const runs = await db.query<{ status: string }>("SELECT status FROM ingest_runs ORDER BY id");
    // On PostgreSQL a run counts as interrupted only after 2 silent minutes (another process may own it).
    assert.deepEqual(runs.map((r) => r.status), [
      databaseUrl ? "running" : "interrupted",
      "succeeded",
    ]);
    if (schema) await db.exec(`DROP SCHEMA ${schema} CASCADE`);
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
