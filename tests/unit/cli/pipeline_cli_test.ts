/** `deno task pipeline` and `deno task scheduler` from a terminal: help, usage errors, and talking to a running server that holds PGlite's folder. */
import assert from "node:assert/strict";
import { writeServerAddress } from "../../../src/cli/server_file.ts";
import { loadConfig } from "../../../src/config.ts";
import { openDatabase } from "../../../src/db/open.ts";
import { configureLogging } from "../../../src/log.ts";
import { TOKEN_FILE } from "../../../src/serving/admin_token.ts";
import { ADMIN_TOKEN, withFixture } from "../../helpers/serving.ts";
import { standInDag } from "../pipeline/support.ts";
import { runCliProcess } from "../tracking/support.ts";

const cli = (name: string) => new URL(`../../../src/cli/${name}.ts`, import.meta.url).pathname;

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pipeline --help names every command and the DAG's parameters with their tasks", async () => {
  await inTempDir(async (dir) => {
    const r = await runCliProcess(cli("pipeline"), ["--help"], dir);
    assert.equal(r.code, 0);
    for (const word of ["run [--param", "--from TASK", "list", "show RUN", "logs RUN TASK"]) {
      assert.ok(r.stdout.includes(word), word);
    }
    assert.match(r.stdout, /source\s+where ingest reads.*\[movielens\] \(ingest\)/);
    assert.match(r.stdout, /lr\s+Adam learning rate \[0\.005\] \(train\)/);
    assert.match(r.stdout, /k\s+movies per user in the batch recommendations \[20\] \(publish\)/);
  });
});

Deno.test("scheduler --help says what the role runs and where it answers", async () => {
  await inTempDir(async (dir) => {
    const r = await runCliProcess(cli("scheduler"), ["--help"], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /REELRANK_DAG_CRON/);
    assert.match(r.stdout, /SCHEDULER_PORT or 8001/);
  });
});

for (
  const [args, code, message] of [
    [["run", "--param", "epochs"], 2, /--param takes name=value, got "epochs"/],
    [["run", "--param", "epochs=0"], 2, /parameter epochs: .*got "0"/],
    [["run", "--param", "color=red"], 2, /unknown parameter "color"/],
    [["run", "--from", "nope"], 2, /--from must name a task of recommend: ingest, snapshot/],
    [["launch"], 2, /unknown command "launch"; commands are run, list, show and logs/],
    [["logs", "recommend-x"], 2, /pipeline logs takes a run id and a task/],
    [["list", "--status", "done"], 2, /--status must be one of queued, running, success, failed/],
    [["show", "recommend-x"], 1, /pipeline run "recommend-x" does not exist/],
  ] as const
) {
  Deno.test(`pipeline ${args.join(" ")} exits ${code} with one line`, async () => {
    await inTempDir(async (dir) => {
      const r = await runCliProcess(cli("pipeline"), [...args], dir);
      assert.equal(r.code, code, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], message);
    });
  });
}

Deno.test("pipeline run and list go through the server's API while it holds PGlite's folder", async () => {
  await inTempDir(async (dir) => {
    const config = loadConfig({ REELRANK_DATA_DIR: dir });
    configureLogging({ level: "warn" });
    const db = await openDatabase(config); // holds the folder's lock, like a running `start`
    const dag = standInDag((
      ctx,
    ) => (ctx.log.info(`working with k=${ctx.params.k}`), Promise.resolve(1)));
    try {
      await withFixture(db, async (f) => {
        const server = Deno.serve(
          { port: 0, hostname: "127.0.0.1", onListen: () => {} },
          f.app.fetch,
        );
        const forget = await writeServerAddress(dir, `http://127.0.0.1:${server.addr.port}`);
        await Deno.writeTextFile(`${dir}/${TOKEN_FILE}`, ADMIN_TOKEN + "\n");
        try {
          // CI=true (inherited from CI's environment) would make the CLI quiet; this test reads its progress.
          const r = await runCliProcess(cli("pipeline"), ["run", "--param", "k=4"], dir, {
            CI: "",
          });
          assert.equal(r.code, 0, r.stderr);
          assert.match(
            r.stdout,
            new RegExp(`in the server at http://127\\.0\\.0\\.1:${server.addr.port}`),
          );
          assert.match(r.stdout, /✓ prepare/);
          assert.match(r.stdout, /working with k=4/);
          assert.match(r.stdout, /run recommend-\S+: success/);
          const [run] = (await f.engine.listRuns()).items;
          assert.equal(run.trigger, "manual");
          assert.equal(run.params.k, 4);
          const list = await runCliProcess(cli("pipeline"), ["list"], dir);
          assert.equal(list.code, 0, list.stderr);
          assert.ok(list.stdout.includes(run.id));
          const logs = await runCliProcess(cli("pipeline"), ["logs", run.id, "work"], dir);
          assert.match(logs.stdout, /\[attempt 1\] INFO {2}working with k=4/);
        } finally {
          await forget();
          await server.shutdown();
        }
      }, { train: false, engine: { dags: [dag] } });
    } finally {
      await db.close();
    }
  });
});

Deno.test("a locked folder with no server to talk to keeps the lock's message", async () => {
  await inTempDir(async (dir) => {
    const db = await openDatabase(loadConfig({ REELRANK_DATA_DIR: dir }));
    try {
      const r = await runCliProcess(cli("pipeline"), ["list"], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is in use by process \d+/);
    } finally {
      await db.close();
    }
  });
});
