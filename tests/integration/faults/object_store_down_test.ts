/** The S3 store goes down in the middle of a snapshot (ingest's, and the recommend DAG's snapshot task) and of a registration: retried, then a clean failure, recorded, nothing promoted or half-visible. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config.ts";
import { createContext } from "../../../src/context.ts";
import type { Database } from "../../../src/db/types.ts";
import { configureLogging } from "../../../src/log.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { S3ObjectStore } from "../../../src/storage/s3.ts";
import { startPipelineEngine } from "../../../pipelines/engine.ts";
import { fakeTimers } from "../../helpers/pipeline.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { processTest, runDeno, trainArgs } from "./cli.ts";
import { type FaultProxy, startFaultProxy } from "./fault_proxy.ts";
import { writeMovieLensFolder } from "./movielens_folder.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { checkRegistry } from "./registry_check.ts";
import { startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

/** PostgreSQL and an s3rver bucket that the commands reach through a proxy that can fail. */
async function setup() {
  let proxy!: FaultProxy;
  const stores = await startStores({
    store: "s3",
    endpoint: (s3) => {
      proxy = startFaultProxy({ hostname: "127.0.0.1", port: Number(new URL(s3.endpoint).port) });
      return proxy.url;
    },
  });
  return {
    ...stores,
    proxy,
    bucket: stores.s3!.bucket,
    /** A client of the bucket through the proxy (the commands' view of it). */
    proxied: () =>
      new S3ObjectStore(`s3://${stores.s3!.bucket}`, {
        endpoint: proxy.url,
        region: stores.s3!.region,
        accessKeyId: stores.s3!.accessKeyId,
        secretAccessKey: stores.s3!.secretAccessKey,
        forcePathStyle: true,
      }),
    async close() {
      proxy.close();
      await stores.close();
    },
  };
}

processTest(
  "S3 going down during a training run's registration: the client retries, the run is recorded failed and production stays; the next run succeeds",
  skip,
  async () => {
    const t = await setup();
    try {
      await seedCatalog(t.db);
      const first = await runDeno(trainArgs(), t.env);
      assert.equal(first.code, 0, first.output);
      const before = await checkRegistry(t.db, t.objects);
      assert.deepEqual(before.aliases, { production: 1 });

      // The registration first checks the run's uploaded artifact (HEAD): the store dies there.
      t.proxy.downOn(new RegExp(`^HEAD /${t.bucket}/runs/`, "m"));
      const second = await runDeno(trainArgs(), t.env);
      await t.proxy.wentDown;
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, /^error: S3 head "runs\/.*" on s3:\/\/reelrank-test failed: /m);
      assert.ok(
        t.proxy.refused() >= 2,
        `the client retried (${t.proxy.refused()} refused attempts)`,
      );

      const [run] = await t.db.query<{ status: string; status_reason: string }>(
        "SELECT status, status_reason FROM runs ORDER BY start_time DESC LIMIT 1",
      );
      assert.equal(run.status, "failed");
      assert.match(run.status_reason, /S3 head/);
      assert.deepEqual(
        await checkRegistry(t.db, t.objects),
        before,
        "nothing registered or promoted",
      );

      t.proxy.up();
      const third = await runDeno(trainArgs(), t.env);
      assert.equal(third.code, 0, third.output);
      assert.match(third.output, /registered version 2: /);
      assert.equal((await checkRegistry(t.db, t.objects)).lastVersion, 2);
    } finally {
      await t.close();
    }
  },
);

/** The newest ingest run's status and error. */
async function lastIngestRun(db: Database) {
  const [run] = await db.query<{ id: number; status: string; error: string | null }>(
    "SELECT id, status, error FROM ingest_runs ORDER BY id DESC LIMIT 1",
  );
  return run;
}

processTest(
  "S3 going down in the middle of a snapshot: ingest fails with one line, its run is recorded failed, no snapshot is recorded or listed, and the next ingest writes it",
  skip,
  async () => {
    const t = await setup();
    const folder = await writeMovieLensFolder();
    try {
      // Parts are written table by table: ingest runs and movies are stored, interactions not.
      t.proxy.downOn(new RegExp(`^PUT /${t.bucket}/snapshots/parts/interactions-`, "m"));
      const ingest = ["task", "ingest", "--source", "movielens", "--path", folder];
      const first = await runDeno(ingest, t.env);
      await t.proxy.wentDown;
      assert.equal(first.code, 1, first.output);
      assert.match(
        first.output,
        /^error: S3 put "snapshots\/parts\/interactions-.*" on s3:\/\/reelrank-test failed.*\(the snapshot of ingest run \d+, recorded failed; its rows are stored, and ingesting again writes the snapshot\)$/m,
      );
      assert.equal(
        first.output.split("\n").filter((l) => l.startsWith("error:")).length,
        1,
        `one error line: ${first.output}`,
      );
      const failed = await lastIngestRun(t.db);
      assert.equal(failed.status, "failed");
      assert.match(failed.error ?? "", /^snapshot failed: S3 put "snapshots\/parts\/interactions-/);
      assert.ok(first.output.includes(`ingest run ${failed.id},`), "the line names the run");
      assert.ok(
        t.proxy.refused() >= 2,
        `the client retried (${t.proxy.refused()} refused attempts)`,
      );
      const parts = (await t.objects.list("snapshots/")).map((o) => o.key);
      assert.ok(parts.some((k) => k.startsWith("snapshots/parts/movies-")), parts.join(", "));
      assert.ok(!parts.some((k) => k.startsWith("snapshots/parts/interactions-")));
      assert.ok(
        !parts.some((k) => k.startsWith("snapshots/manifests/")),
        "no manifest: no snapshot visible",
      );
      const [{ n }] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots");
      assert.equal(n, 0);

      t.proxy.up();
      const again = await runDeno(ingest, t.env);
      assert.equal(again.code, 0, again.output);
      const next = await lastIngestRun(t.db);
      assert.deepEqual([next.id > failed.id, next.status, next.error], [true, "succeeded", null]);
      const list = await runDeno(["task", "snapshot", "list"], t.env);
      assert.equal(list.code, 0, list.output);
      const [{ m }] = await t.db.query<{ m: number }>("SELECT count(*)::int AS m FROM snapshots");
      assert.equal(m, 1);
      assert.equal((await t.objects.list("snapshots/manifests/")).length, 1);
    } finally {
      await t.close();
      await Deno.remove(folder, { recursive: true });
    }
  },
);

processTest(
  "S3 going down during the recommend DAG's snapshot task: the task is retried, the pipeline run is recorded failed, nothing is registered or promoted",
  skip,
  async () => {
    configureLogging({ level: "silent" });
    const t = await setup();
    const folder = await writeMovieLensFolder();
    const objects = t.proxied();
    const ctx = createContext({ config: loadConfig({ REELRANK_THREADS: "1" }), db: t.db, objects });
    const timers = fakeTimers();
    const engine = await startPipelineEngine(ctx, {
      metrics: createMetrics({ defaults: false }),
      timers: timers.timers,
    });
    try {
      // A version in production already: the failed run must leave it exactly as it is.
      const registry = new SqlModelRegistry(t.db, { objects: t.objects });
      await registry.registerVersion(MODEL_NAME, { artifact: new TextEncoder().encode("v1") });
      await registry.setAliases(MODEL_NAME, { production: 1 });
      const before = await checkRegistry(t.db, t.objects);

      t.proxy.downOn(new RegExp(`^PUT /${t.bucket}/snapshots/parts/interactions-`, "m"));
      const run = await engine.run({
        dag: "recommend",
        trigger: "manual",
        params: { path: folder },
      });
      await t.proxy.wentDown;
      assert.ok(t.proxy.refused() >= 2, `the client retried (${t.proxy.refused()} refused)`);
      assert.equal(run.status, "failed");
      assert.match(run.statusReason ?? "", /snapshot/);
      assert.match(run.statusReason ?? "", /S3 \w+ .* failed/);
      const state = Object.fromEntries(run.tasks.map((x) => [x.taskId, [x.status, x.tries]]));
      assert.deepEqual(state.ingest, ["success", 1]);
      assert.deepEqual(state.snapshot, ["failed", 3], "the first try and its 2 retries");
      for (const id of ["features", "train", "evaluate", "register", "promote", "publish"]) {
        assert.deepEqual(state[id], ["upstream_failed", 0], id);
      }
      const attempts = (await engine.listAttempts(run.id)).filter((a) => a.taskId === "snapshot");
      assert.deepEqual(attempts.map((a) => a.status), ["failed", "failed", "failed"]);
      assert.ok(attempts.every((a) => /S3 /.test(a.error ?? "") && !a.permanent));
      assert.deepEqual(timers.sleeps, [10_000, 20_000], "the engine's backoff before each retry");

      // Recorded where every process reads it.
      const [stored] = await t.db.query<{ status: string; status_reason: string }>(
        "SELECT status, status_reason FROM pipeline_runs WHERE id = $1",
        [run.id],
      );
      assert.equal(stored.status, "failed");
      assert.match(stored.status_reason, /snapshot/);
      assert.deepEqual(
        await checkRegistry(t.db, t.objects),
        before,
        "nothing registered or promoted",
      );
      const [{ n }] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots");
      assert.equal(n, 0);
      assert.deepEqual(await t.objects.list("snapshots/manifests/"), [], "no snapshot visible");
    } finally {
      await engine.close();
      await ctx.releaseKernel();
      objects.close();
      await t.close();
      await Deno.remove(folder, { recursive: true });
    }
  },
);
