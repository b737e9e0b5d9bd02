/** The recommend DAG's `families` and `search` parameters: child runs of one parent, the best registered, the search stopped by its budget. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createApp } from "../../src/api/app.ts";
import type { AppDeps } from "../../src/api/deps.ts";
import { createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import type { Json } from "../../src/pipeline/dag.ts";
import { MODEL_NAME } from "../../src/registry/store.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { dbTest } from "../helpers/db.ts";
import { ADMIN_TOKEN } from "../helpers/serving.ts";
import { writeSequenceFolder } from "../fixtures/sequences/movielens.ts";
import { smallRunParams } from "../fixtures/sequences/params.ts";
import { fakeTimers } from "../unit/pipeline/support.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";

async function setup(db: Database) {
  configureLogging({ level: "silent" });
  const dir = await Deno.makeTempDir();
  await writeSequenceFolder(dir);
  const ctx = createContext({
    config: loadConfig({ REELRANK_THREADS: "1" }),
    db,
    objects: new MemoryObjectStore(),
  });
  const metrics = createMetrics();
  const engine = await startPipelineEngine(ctx, { metrics, timers: fakeTimers().timers });
  const app = createApp({
    db,
    registry: ctx.registry,
    tracking: ctx.tracking,
    // The pages under test read the tracking store and the pipeline, never the model in service.
    serving: { version: () => null, problem: () => "none" } as unknown as AppDeps["serving"],
    metrics,
    pipeline: engine,
    adminToken: ADMIN_TOKEN,
    clock: () => new Date(),
  });
  return {
    ctx,
    engine,
    app,
    params: { path: dir, ...smallRunParams() },
    async close() {
      await engine.close();
      await ctx.releaseKernel();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Result = Record<string, Json> & { children: Record<string, Json>[] };

dbTest(
  "a recommend run with families=ease,itemknn trains each as a child run and registers the best on validation NDCG@10",
  async (db) => {
    const s = await setup(db);
    try {
      const run = await s.engine.run({
        dag: "recommend",
        trigger: "manual",
        params: { ...s.params, families: "ease,itemknn" },
      });
      assert.equal(run.status, "success", run.statusReason ?? "");
      const result = (id: string) => run.tasks.find((t) => t.taskId === id)!.result as Result;
      const train = result("train");
      const parent = await s.ctx.tracking.getRun(train.comparisonRunId as string);
      assert.equal(parent.tags.kind, "family-comparison");
      assert.equal(parent.tags.pipeline_run, run.id);
      const kids = (await s.ctx.tracking.searchRuns({ filter: { parentRunId: parent.id } })).items;
      assert.deepEqual(kids.map((k) => k.tags.family).sort(), ["ease", "itemknn"]);
      assert.ok(kids.every((k) => k.status === "finished" && k.metrics.val_ndcg10 > 0));
      const best = kids.reduce((a, b) => (b.metrics.val_ndcg10 > a.metrics.val_ndcg10 ? b : a));
      assert.equal(train.runId, best.id);
      assert.equal(train.family, best.tags.family);
      assert.equal(parent.tags.best_run, best.id);
      assert.deepEqual(train.children.map((c) => c.family), ["ease", "itemknn"]);
      // The candidate is the best child: registered with its family, then gated as usual.
      const version = await s.ctx.registry.getVersion(
        MODEL_NAME,
        result("register").version as number,
      );
      assert.equal(version.runId, best.id);
      assert.equal(version.family, best.tags.family);
      assert.equal(result("promote").promoted, true);
      assert.equal((result("publish") as Record<string, Json>).version, version.version);
      // The pipeline run page links the comparison; the run page compares the children.
      const pipelinePage = await (await s.app.request(`/admin/pipeline/runs/${run.id}`)).text();
      assert.ok(pipelinePage.includes(`href="/admin/runs/${parent.id}">Family comparison</a>`));
      const runPage = await (await s.app.request(`/admin/runs/${parent.id}`)).text();
      assert.match(runPage, /Family comparison: one child run per family/);
      for (const k of kids) assert.ok(runPage.includes(`/admin/runs/${k.id}"`));
      assert.match(runPage, /badge best/);
    } finally {
      await s.close();
    }
  },
);

dbTest(
  "a recommend run's MLP search with a tiny budget stops after one configuration and logs why",
  async (db) => {
    const s = await setup(db);
    try {
      const run = await s.engine.run({
        dag: "recommend",
        trigger: "manual",
        params: { ...s.params, families: "ease,mlp", search: 3, "search-budget": 0.001 },
      });
      assert.equal(run.status, "success", run.statusReason ?? "");
      const train = run.tasks.find((t) => t.taskId === "train")!.result as Result;
      const search = train.search as Record<string, Json>;
      assert.equal(search.configs, 3);
      assert.equal(search.ran, 1);
      assert.match(search.stopped as string, /search budget is spent: 1 of 3 configurations/);
      const kids = (await s.ctx.tracking.searchRuns({
        filter: { parentRunId: train.comparisonRunId as string },
      })).items;
      assert.deepEqual(kids.map((k) => k.name).sort(), ["ease", "mlp search 1/3"]);
      const parent = await s.ctx.tracking.getRun(train.comparisonRunId as string);
      assert.equal(parent.tags.search_stopped, search.stopped);
      // The budget's unit is the EASE child's fit in this run, not a separate measurement.
      const ease = kids.find((k) => k.tags.family === "ease")!;
      assert.equal(parent.metrics.ease_fit_seconds, ease.metrics.fit_seconds);
      const logs = await s.engine.readLogs(run.id, { taskId: "train" });
      assert.ok(
        logs.some((l) => /^MLP search stopped early: the search budget is spent/.test(l.message)),
      );
      assert.ok(logs.some((l) => /^member 1 epoch 1: loss/.test(l.message)));
      // search without the MLP among the families is refused, naming both parameters.
      const bad = await s.engine.run({
        dag: "recommend",
        trigger: "manual",
        params: { ...s.params, families: "ease", search: 2 },
      });
      assert.equal(bad.status, "failed");
      const attempts = await s.engine.listAttempts(bad.id);
      const failed = attempts.find((a) => a.taskId === "train")!;
      assert.match(
        failed.error ?? "",
        /parameter search \(2\) searches the MLP.*families is "ease"/,
      );
      assert.equal(failed.permanent, true);
    } finally {
      await s.close();
    }
  },
);
