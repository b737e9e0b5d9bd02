/** `deno task start` as a real process: the first start runs the DAG before serving, a second one does not, the schedule runs in it, Ctrl-C releases the folder. */
import assert from "node:assert/strict";
import { openDatabase } from "../../src/db/open.ts";
import { SqlPipelineStore } from "../../src/pipeline/sql_store.ts";
import { writeSequenceFolder } from "../fixtures/sequences/movielens.ts";
import { smallRunParams } from "../fixtures/sequences/params.ts";

const START = new URL("../../src/cli/start.ts", import.meta.url).pathname;

/** `start` on PGlite in `dataDir` (the folder lock is PGlite's); reads its stdout as it comes. */
function spawnStart(dataDir: string, args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    // As `deno task start` runs it: from the dependency cache, with Deno.cron.
    args: [
      "run",
      "--cached-only",
      "-A",
      "--unstable-cron",
      "--unstable-net",
      START,
      "--port",
      "0",
      ...args,
    ],
    env: {
      REELRANK_DATA_DIR: dataDir,
      DATABASE_URL: "",
      OBJECT_STORE_URL: `file://${dataDir}/objects`,
      REELRANK_ADMIN_TOKEN: "",
      REELRANK_THREADS: "1",
      LOG_LEVEL: "error",
      NO_COLOR: "1",
      CI: "true",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  return {
    get out() {
      return out;
    },
    /** Reads stdout until `re` matches; returns the match. */
    async waitFor(re: RegExp): Promise<RegExpMatchArray> {
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        const { value, done } = await reader.read();
        if (done) throw new Error(`start ended without printing ${re}:\n${out}\n${await stderr}`);
        out += value;
      }
    },
    /** SIGINT, then the exit status and what was left on stderr. */
    async interrupt(): Promise<{ code: number; stderr: string }> {
      child.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      return { code: (await child.status).code, stderr: await stderr };
    },
    /** Kills it if a failed assertion left it running. */
    async kill(): Promise<void> {
      try {
        child.kill("SIGKILL");
      } catch { /* it has ended */ }
      await child.status;
      await reader.cancel().catch(() => {});
      await stderr;
    },
  };
}

type RunJson = { id: string; trigger: string; status: string; params: Record<string, unknown> };

async function runsOf(url: string): Promise<RunJson[]> {
  const res = await fetch(`${url}/api/v1/pipeline/runs`);
  assert.equal(res.status, 200);
  return (await res.json()).items;
}

Deno.test("deno task start runs the DAG once on an empty folder before serving; a second start serves without running it, and its schedule starts runs in the process", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "reelrank-start-" });
  const movielens = await Deno.makeTempDir({ prefix: "reelrank-start-ml-" });
  const started: ReturnType<typeof spawnStart>[] = [];
  try {
    await writeSequenceFolder(movielens);
    // Tiny training on the 80-user fixture keeps the first run to seconds.
    const params = Object.entries({ path: movielens, families: "mlp", ...smallRunParams() })
      .flatMap(([k, v]) => ["--param", `${k}=${v}`]);
    const first = spawnStart(dataDir, params);
    started.push(first);
    const [, shown] = await first.waitFor(
      /the database is empty: running the pipeline on the MovieLens folder (\S+)…/,
    );
    assert.equal(shown, movielens);
    const [, url] = await first.waitFor(/serving model version 1 on (http:\/\/[0-9.:]+)/);
    await first.waitFor(/Ctrl-C stops the server/);
    const [run] = await runsOf(url);
    assert.equal((await runsOf(url)).length, 1);
    assert.equal(run.status, "success");
    assert.equal(run.trigger, "manual");
    assert.deepEqual([run.params.source, run.params.path, run.params.families, run.params.epochs], [
      "movielens",
      movielens,
      "mlp",
      3,
    ]);
    const recs = await (await fetch(`${url}/api/v1/users/7/recommendations?k=5`)).json();
    assert.equal(recs.strategy, "model");
    assert.equal(recs.modelVersion, 1);
    assert.equal(recs.items.length, 5);
    const stopped = await first.interrupt();
    assert.equal(stopped.code, 0, stopped.stderr);
    // The lock is released: this process can open the folder.
    await (await openDatabase({ dataDir })).close();

    // Again on the same folder, the schedule every minute: no first run; the tick starts one here.
    const second = spawnStart(dataDir, [], { REELRANK_DAG_CRON: "* * * * *" });
    started.push(second);
    await second.waitFor(/model: production is version 1; serving it/);
    const [, url2] = await second.waitFor(/serving model version 1 on (http:\/\/[0-9.:]+)/);
    await second.waitFor(/Ctrl-C stops the server/);
    assert.doesNotMatch(second.out, /running the pipeline/);
    // (A tick may already have come: only scheduled runs may have been added.)
    const unscheduled = (await runsOf(url2)).filter((r) => r.trigger !== "schedule");
    assert.deepEqual(unscheduled.map((r) => r.id), [run.id]);
    let scheduled: RunJson | undefined;
    for (const deadline = Date.now() + 75_000; !scheduled && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      scheduled = (await runsOf(url2)).find((r) => r.trigger === "schedule");
    }
    assert.ok(scheduled, "no scheduled run within 75 s of a schedule of every minute");
    const again = await second.interrupt();
    assert.equal(again.code, 0, again.stderr);
    const db = await openDatabase({ dataDir });
    try {
      const ended = await new SqlPipelineStore(db).getRun(scheduled.id);
      assert.equal(ended.status, "failed");
      assert.match(ended.statusReason!, /stopped by SIGINT/);
    } finally {
      await db.close();
    }
  } finally {
    for (const p of started) await p.kill();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(movielens, { recursive: true });
  }
});
