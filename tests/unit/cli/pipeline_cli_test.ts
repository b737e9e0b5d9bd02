/** `deno task pipeline` and `deno task scheduler` from a terminal: help, usage errors, and talking to a running server that holds PGlite's folder. */
import assert from "node:assert/strict";
import { SERVER_FILE, writeServerAddress } from "../../../src/cli/server_file.ts";
import { loadConfig } from "../../../src/config.ts";
import { openDatabase } from "../../../src/db/open.ts";
import { configureLogging } from "../../../src/log.ts";
import { TOKEN_FILE } from "../../../src/serving/admin_token.ts";
import { ADMIN_TOKEN, withFixture } from "../../helpers/serving.ts";
import type { Dag } from "../../../src/pipeline/dag.ts";
import { deferred, standInDag } from "../pipeline/support.ts";
import type { Fixture } from "../../helpers/serving.ts";
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
    for (
      const word of [
        "run [--param",
        "--from TASK",
        "--logical-date D",
        "list",
        "show RUN",
        "logs RUN TASK",
      ]
    ) {
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

/** `start` as `deno task start` runs it: from the dependency cache (--cached-only). */
async function runStart(args: string[], dir: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", "-A", cli("start"), ...args],
    env: { REELRANK_DATA_DIR: dir, DATABASE_URL: "", LOG_LEVEL: "error", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("start --help names --param and --port; a bad --param or --port exits 2 before opening anything", async () => {
  await inTempDir(async (dir) => {
    const help = await runStart(["--help"], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--param NAME=VALUE +a parameter of the run of step 1/);
    assert.match(help.stdout, /--port N +port to listen on/);
    for (
      const [args, message] of [
        [["--param", "color=red"], /^error: unknown parameter "color"; parameters are source, /],
        [["--param", "families=svd"], /^error: parameter families must be a comma-separated list/],
        [["--port", "http"], /^error: --port must be an integer ≥ 0, got "http"/],
      ] as const
    ) {
      const r = await runStart([...args], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing was opened in the data folder");
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
    [
      ["run", "--logical-date", "2026-02-30"],
      2,
      /--logical-date must be a day YYYY-MM-DD .*"2026-02-30"/,
    ],
    [["run", "--logical-date", "tomorrow"], 2, /--logical-date must be .*got "tomorrow"/],
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
  const dag = standInDag((
    ctx,
  ) => (ctx.log.info(`working with k=${ctx.params.k}`), Promise.resolve(1)));
  // The server holds the folder's lock, like a running `start`.
  await onServer(dag, async ({ dir, f }) => {
    const port = JSON.parse(await Deno.readTextFile(`${dir}/${SERVER_FILE}`)).url.split(":").at(-1);
    // CI=true (inherited from CI's environment) would make the CLI quiet; this test reads its progress.
    const r = await runCliProcess(cli("pipeline"), ["run", "--param", "k=4"], dir, { CI: "" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`in the server at http://127\\.0\\.0\\.1:${port}`));
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

/**
 * A server with `dag` behind its API holding PGlite's folder in a temp dir, as a running `start`
 * does, so `deno task pipeline` talks to it.
 */
async function onServer(
  dag: Dag<unknown>,
  fn: (s: { dir: string; f: Fixture }) => Promise<void>,
): Promise<void> {
  await inTempDir(async (dir) => {
    configureLogging({ level: "warn" });
    const db = await openDatabase(loadConfig({ REELRANK_DATA_DIR: dir }));
    try {
      await withFixture(db, async (f) => {
        const server = Deno.serve(
          { port: 0, hostname: "127.0.0.1", onListen: () => {} },
          f.app.fetch,
        );
        const forget = await writeServerAddress(dir, `http://127.0.0.1:${server.addr.port}`);
        await Deno.writeTextFile(`${dir}/${TOKEN_FILE}`, ADMIN_TOKEN + "\n");
        try {
          await fn({ dir, f });
        } finally {
          await forget();
          await server.shutdown();
        }
      }, { train: false, engine: { dags: [dag] } });
    } finally {
      await db.close();
    }
  });
}

Deno.test("pipeline run while a run is active exits 1 with one line naming the active run", async () => {
  const started = deferred();
  const release = deferred();
  const dag = standInDag(async () => (started.resolve(), await release.promise, 1));
  await onServer(dag, async ({ dir, f }) => {
    const active = await f.engine.trigger({ dag: "recommend", trigger: "schedule" });
    await started.promise;
    const r = await runCliProcess(cli("pipeline"), ["run"], dir);
    release.resolve();
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^error: .* answered 409: DAG "recommend" already has an active run \\(${active}, running since`,
      ),
    );
    assert.equal((await f.engine.wait(active)).status, "success");
    assert.deepEqual((await f.engine.listRuns()).items.map((r) => r.id), [active]);
  });
});

Deno.test("pipeline show RUN prints the run, its tasks, every attempt with its error, and the parameters set", async () => {
  let calls = 0;
  const dag = standInDag(
    () => ++calls === 1 ? Promise.reject(new Error("disk full")) : Promise.resolve({ rows: 3 }),
    { retries: 1 },
  );
  await onServer(dag, async ({ dir, f }) => {
    const run = await f.engine.run({ dag: "recommend", trigger: "api", params: { k: 4 } });
    assert.equal(run.status, "success");
    const r = await runCliProcess(cli("pipeline"), ["show", run.id], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^run ${run.id} \\(DAG recommend, api\\): success\n`));
    const [tasks, attempts] = r.stdout.split("\n\n").slice(1);
    assert.match(tasks, /^task +status +tries +duration +result\n/);
    assert.match(tasks, /\nprepare +success +1 +\S+ s +\{"key":"objects\/p\.bin"\}\n/);
    assert.match(tasks, /\nwork +success +2 +\S+ s +\{"rows":3\}$/);
    assert.match(attempts, /^task +attempt +status +duration +error\n/);
    assert.match(attempts, /\nwork +1 +failed +\S+ s +disk full\n/);
    assert.match(attempts, /\nwork +2 +success +\S+ s +-$/);
    assert.match(r.stdout, /\nparameters: k=4\n$/);
  });
});

Deno.test("pipeline run --logical-date dates the run, and the same date can be run again", async () => {
  await onServer(standInDag(() => Promise.resolve(1)), async ({ dir, f }) => {
    for (let i = 0; i < 2; i++) {
      const r = await runCliProcess(cli("pipeline"), ["run", "--logical-date", "2026-01-02"], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    const runs = (await f.engine.listRuns()).items;
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.equal(run.status, "success");
      assert.equal(run.logicalDate.toISOString(), "2026-01-02T00:00:00.000Z");
      assert.match(run.id, /^recommend-20260102T000000Z-[0-9a-f]{6}$/);
    }
    const show = await runCliProcess(cli("pipeline"), ["show", runs[0].id], dir);
    assert.match(show.stdout, /\nlogical date 2026-01-02 00:00:00 UTC, started /);
  });
});
