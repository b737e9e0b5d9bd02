/** The recommend DAG end to end on a small MovieLens folder (publish checking drift), and every task's idempotency. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { type Context, createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import type { Json, TaskContext } from "../../src/pipeline/dag.ts";
import { driftHistory } from "../../src/observability/drift/store.ts";
import { MODEL_NAME } from "../../src/registry/store.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { recommendDag } from "../../pipelines/recommend_dag.ts";
import { dbTest } from "../helpers/db.ts";
import { writeSequenceFolder } from "../fixtures/sequences/movielens.ts";
import { smallRunParams } from "../fixtures/sequences/params.ts";
import { fakeTimers } from "../unit/pipeline/support.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";

async function setup(db: Database) {
  configureLogging({ level: "silent" });
  const dir = await Deno.makeTempDir();
  const ratings = await writeSequenceFolder(dir);
  const objects = new MemoryObjectStore();
  const ctx = createContext({
    config: loadConfig({ REELRANK_THREADS: "1", REELRANK_DRIFT_RETRAIN: "true" }),
    db,
    objects,
  });
  const engine = await startPipelineEngine(ctx, {
    metrics: createMetrics(),
    timers: fakeTimers().timers,
  });
  return {
    ctx,
    engine,
    objects,
    ratings,
    params: { path: dir, ...smallRunParams() },
    async close() {
      await engine.close();
      await ctx.releaseKernel();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** `users` new users after every stored interaction, each watching the comedies 3, 6 and 9. */
async function addShiftedEvents(db: Database, users: number): Promise<void> {
  const [{ ts }] = await db.query<{ ts: number }>("SELECT max(ts)::int8 AS ts FROM interactions");
  const ids = Array.from({ length: users }, (_, u) => 60_000 + u);
  await db.query(
    `INSERT INTO users (id, source, external_id)
     SELECT u, 'event', u::text FROM unnest($1::int8[]) AS u`,
    [ids],
  );
  await db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, source)
     SELECT u, m, $2 + row_number() OVER (), 'event'
     FROM unnest($1::int8[]) AS u, unnest(ARRAY[3, 6, 9]) AS m`,
    [ids, Number(ts)],
  );
}

/** Rows in every table of the test schema, and objects in the store. */
async function rowCounts(
  ctx: Context,
  objects: MemoryObjectStore,
): Promise<Record<string, number>> {
  const tables = await ctx.db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const out: Record<string, number> = { objects: objects.objects.size };
  for (const { t } of tables) {
    out[t] = (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}"`))[0].n;
  }
  return out;
}

dbTest(
  "the recommend DAG ingests, trains, registers, promotes and publishes a small data set",
  async (db) => {
    const s = await setup(db);
    try {
      const run = await s.engine.run({ dag: "recommend", trigger: "manual", params: s.params });
      assert.equal(run.status, "success", run.statusReason ?? "");
      assert.ok(run.tasks.every((t) => t.status === "success" && t.tries === 1));
      const result = (id: string) =>
        run.tasks.find((t) => t.taskId === id)!.result as Record<string, Json>;
      assert.equal(result("ingest").interactions, s.ratings);
      const snapshotId = result("snapshot").snapshotId as string;
      const [snap] = await db.query<{ id: string }>("SELECT id FROM snapshots");
      assert.equal(snap.id, snapshotId);
      assert.deepEqual(
        [
          result("features").users,
          result("features").interactions,
          result("features").droppedUsers,
        ],
        [80, s.ratings, 0],
      );
      // Tasks pass object keys, never local paths; the parent run's id is the task's key.
      const trainKey = (result("train").checkpoint as { key: string }).key;
      const tracked = await s.ctx.tracking.getRun(result("train").runId as string);
      assert.equal(trainKey, `runs/${tracked.id}/model/model.rrck`);
      assert.match(
        result("train").comparisonRunId as string,
        /^recommend-\d{8}T\d{6}Z-train-[0-9a-f]{12}-[0-9a-f]{6}$/,
      );
      assert.match((result("features").features as { key: string }).key, /^pipelines\/recommend\//);
      assert.equal(tracked.status, "finished");
      assert.equal(tracked.parentRunId, result("train").comparisonRunId);
      const parent = await s.ctx.tracking.getRun(tracked.parentRunId!);
      assert.equal(parent.tags.pipeline_run, run.id);
      // The default families: all three, one child each.
      assert.equal(parent.params.families, "ease,itemknn,mlp");
      assert.equal(tracked.snapshotId, snapshotId);
      assert.equal(tracked.metrics.val_ndcg10, result("evaluate").valNdcg10);
      assert.ok(
        (result("evaluate").testNdcg10 as number) >
          (result("evaluate").popularityTestNdcg10 as number),
      );
      const version = await s.ctx.registry.getVersion(
        MODEL_NAME,
        result("register").version as number,
      );
      assert.equal(version.runId, tracked.id);
      assert.equal(version.snapshotId, snapshotId);
      assert.equal(version.metrics.val_ndcg10, tracked.metrics.val_ndcg10);
      assert.equal(version.metrics.member1_train_loss, undefined);
      assert.equal(result("promote").promoted, true);
      assert.equal(
        (await s.ctx.registry.getAlias(MODEL_NAME, "production"))?.version,
        version.version,
      );
      assert.deepEqual(result("publish"), { version: version.version, users: 80, rows: 80 * 20 });
      const [batch] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM batch_recommendations WHERE version = $1",
        [version.version],
      );
      assert.equal(batch.n, 1600);
      const trainLog = await s.engine.readLogs(run.id, { taskId: "train" });
      assert.ok(trainLog.some((l) => /^member 1 epoch 1: loss/.test(l.message)));
      // The snapshot task recorded the snapshot's sizes on the process's registry.
      const rows = (await s.ctx.metrics.snapshotRows.get()).values;
      assert.equal(rows.find((v) => v.labels.table === "interactions")?.value, s.ratings);

      // publish checks drift: nothing to compare yet (one batch, no interaction after the snapshot)…
      const publishLog = (await s.engine.readLogs(run.id, { taskId: "publish" }))
        .map((l) => l.message);
      assert.ok(publishLog.includes("drift (recommendations) not checked: fewer than two batches"));
      assert.ok(
        publishLog.some((l) => /^drift \(data\) not checked: 0 interactions since/.test(l)),
      );
      // …then, with 1,200 shifted events stored, publish run again from the engine stores a data
      // drift report, and never starts a retrain (it is the retrain), even with retraining on.
      await addShiftedEvents(db, 400);
      const again = await s.engine.run({
        dag: "recommend",
        trigger: "manual",
        from: { runId: run.id, taskId: "publish" },
      });
      assert.equal(again.status, "success", again.statusReason ?? "");
      const [report] = await driftHistory(db, { limit: 5 });
      assert.equal(report.kind, "data");
      assert.equal(report.reference, snapshotId);
      assert.equal(report.sampleSize, 1200);
      assert.ok(report.scores.genre_mix > 0.2, `genre_mix ${report.scores.genre_mix}`);
      assert.equal(report.retrainRequestedAt, null);
      assert.equal((await s.engine.listRuns()).items.length, 2);
    } finally {
      await s.close();
    }
  },
);

dbTest(
  "every recommend task run twice leaves identical row counts, and so does the DAG for the same date",
  async (db) => {
    const s = await setup(db);
    try {
      const run = await s.engine.run({ dag: "recommend", trigger: "manual", params: s.params });
      assert.equal(run.status, "success", run.statusReason ?? "");
      const results = Object.fromEntries(run.tasks.map((t) => [t.taskId, t.result!]));
      for (const task of recommendDag.tasks) {
        const before = await rowCounts(s.ctx, s.objects);
        const ctx: TaskContext<Context> = {
          runId: run.id,
          dag: "recommend",
          key: `recommend-${
            run.logicalDate.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")
          }`,
          logicalDate: run.logicalDate,
          params: run.params,
          attempt: 2,
          signal: new AbortController().signal,
          log: (await import("../../src/log.ts")).getLogger("test"),
          deps: s.ctx,
        };
        const upstream = Object.fromEntries(task.upstream.map((u) => [u, results[u]]));
        const again = await task.run(ctx, upstream) as Record<string, Json>;
        assert.deepEqual(await rowCounts(s.ctx, s.objects), before, `task ${task.id} added rows`);
        if (task.id === "train") assert.equal(again.reused, true);
        if (!["train", "publish"].includes(task.id)) {
          assert.deepEqual(again, results[task.id], task.id);
        }
      }
      // The whole DAG again for the same logical date: only the pipeline's own records grow.
      const before = await rowCounts(s.ctx, s.objects);
      const second = await s.engine.run({
        dag: "recommend",
        trigger: "manual",
        params: s.params,
        logicalDate: run.logicalDate,
      });
      assert.equal(second.status, "success", second.statusReason ?? "");
      const after = await rowCounts(s.ctx, s.objects);
      for (const t of Object.keys(before)) {
        if (!t.startsWith("pipeline_")) assert.equal(after[t], before[t], `${t} changed`);
      }
      assert.equal(after.pipeline_runs, before.pipeline_runs + 1);
    } finally {
      await s.close();
    }
  },
);
