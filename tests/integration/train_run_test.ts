import { createMetrics } from "../../src/observability/metrics.ts";
import assert from "node:assert/strict";
import type { Context } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { loadConfig } from "../../src/config.ts";
import { Kernel } from "../../src/model/kernel/kernel.ts";
import { exportTopK, modelScorer } from "../../src/model/evaluation/evaluate_model.ts";
import { evaluateRanking } from "../../src/model/evaluation/ranking_metrics.ts";
import { loadSplit, trainAndRegister } from "../../src/model/training/run.ts";
import { SqlModelRegistry } from "../../src/registry/sql_store.ts";
import { loadModel } from "../../src/serving/current_model.ts";
import { FsObjectStore } from "../../src/storage/fs.ts";
import { SqlTrackingStore } from "../../src/tracking/sql_store.ts";
import { dbTest } from "../helpers/db.ts";
import { sequenceInteractions } from "../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../fixtures/sequences/params.ts";

const params = { ...SMALL_PARAMS, epochs: 6, patience: 6 };

async function seed(db: Database): Promise<void> {
  const data = sequenceInteractions({ users: 80 });
  const movies = [...new Set(data.items)];
  await db.query(
    `INSERT INTO movies (id, movielens_id, title, source) SELECT id, id, 'Movie ' || id, 'movielens' FROM unnest($1::int8[]) AS id`,
    [movies],
  );
  await db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, source)
     SELECT u, m, t, 'movielens' FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(u, m, t)`,
    [Array.from(data.users), Array.from(data.items), Array.from(data.timestamps)],
  );
}

function context(db: Database, dir: string): Context & { closeKernel(): void } {
  const objects = new FsObjectStore(dir);
  let kernel: Kernel | undefined;
  return {
    config: loadConfig({}),
    db,
    objects,
    tracking: new SqlTrackingStore(db, { objects }),
    registry: new SqlModelRegistry(db, { objects }),
    clock: () => new Date(),
    metrics: createMetrics({ defaults: false }),
    kernel: async () => kernel ??= await Kernel.create({ threads: 1 }),
    releaseKernel: async () => {},
    close: async () => {},
    closeKernel: () => kernel?.close(),
  };
}

dbTest(
  "trainAndRegister() tracks the run, registers a verified version and promotes the first one",
  async (db) => {
    await seed(db);
    const dir = await Deno.makeTempDir();
    const ctx = context(db, dir);
    try {
      const result = await trainAndRegister(ctx, {
        params,
        snapshotId: "snap-1",
        codeVersion: "abc",
      });
      const run = await ctx.tracking.getRun(result.runId);
      assert.equal(run.status, "finished");
      // Params logged under the table's snake_case names, lists joined.
      assert.equal(run.params.hidden, SMALL_PARAMS.hidden!.join(","));
      assert.equal(run.params.dim, String(SMALL_PARAMS.dim));
      assert.equal(run.params.batch_size, String(SMALL_PARAMS.batchSize));
      assert.equal(run.params.tables, "f16");
      assert.ok(run.metrics.checkpoint_bytes > 0 && run.metrics.served_flop_per_history > 0);
      const history = await ctx.tracking.getMetricHistory(result.runId, "member1_val_ndcg10");
      assert.equal(history.length, result.epochs.length);
      assert.ok(result.model.test.ndcg10 > result.popularity.test.ndcg10 + 0.2);
      assert.equal(result.decision.promoted, true);
      const version = await ctx.registry.getVersion("reelrank", result.version);
      assert.equal(version.runId, result.runId);
      assert.equal(version.snapshotId, "snap-1");
      assert.ok(Math.abs(version.metrics.val_ndcg10 - result.model.validation.ndcg10) < 1e-12);

      // The exported top-k, scored by a few independent lines, gives the evaluate() metrics.
      const loaded = await loadModel(ctx);
      const split = await loadSplit(ctx);
      const scorer = modelScorer(loaded.model, split.universe);
      const tsv = await exportTopK(split, scorer, { k: 20 });
      const top = new Map<number, number[]>();
      for (const line of tsv.trim().split("\n")) {
        const [user, rank, movie] = line.split("\t").map(Number);
        const list = top.get(user) ?? [];
        assert.equal(rank, list.length + 1);
        list.push(movie);
        top.set(user, list);
      }
      let hr10 = 0, ndcg10 = 0, hr20 = 0;
      for (const u of split.users) {
        const list = top.get(u.user)!;
        assert.ok(!list.includes(u.valItem) && list.every((m) => !u.trainItems.includes(m)));
        const r = list.indexOf(u.testItem) + 1;
        if (r >= 1 && r <= 10) (hr10++, ndcg10 += 1 / Math.log2(r + 1));
        if (r >= 1) hr20++;
      }
      const n = split.users.length;
      const test = await evaluateRanking(split, scorer, { phase: "test" });
      assert.ok(Math.abs(hr10 / n - test.hr10) < 1e-12);
      assert.ok(Math.abs(ndcg10 / n - test.ndcg10) < 1e-9);
      assert.ok(Math.abs(hr20 / n - test.hr20) < 1e-12);
    } finally {
      ctx.closeKernel();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest(
  "a second, worse training run is registered but production stays on the better version",
  async (db) => {
    await seed(db);
    const dir = await Deno.makeTempDir();
    const ctx = context(db, dir);
    try {
      const good = await trainAndRegister(ctx, { params });
      const worse = await trainAndRegister(ctx, { params: { ...params, epochs: 1, lr: 1e-5 } });
      assert.equal(worse.version, good.version + 1);
      assert.equal(worse.decision.promoted, false);
      assert.equal((await ctx.registry.getAlias("reelrank", "production"))?.version, good.version);
      assert.equal((await loadModel(ctx)).version.version, good.version);
    } finally {
      ctx.closeKernel();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest("loading a tampered production model is refused with a clear error", async (db) => {
  await seed(db);
  const dir = await Deno.makeTempDir();
  const ctx = context(db, dir);
  try {
    const result = await trainAndRegister(ctx, { params: { ...params, epochs: 1 } });
    const version = await ctx.registry.getVersion("reelrank", result.version);
    const bytes = await ctx.objects.get(version.artifactKey);
    bytes[bytes.length >> 1] ^= 0xff;
    await ctx.objects.put(version.artifactKey, bytes);
    await assert.rejects(
      loadModel(ctx),
      (err: Error & { code?: string }) => err.code === "CORRUPT" && /sha256/.test(err.message),
    );
  } finally {
    ctx.closeKernel();
    await Deno.remove(dir, { recursive: true });
  }
});

dbTest("training with no stored interactions fails with what to do", async (db) => {
  const dir = await Deno.makeTempDir();
  const ctx = context(db, dir);
  try {
    await assert.rejects(trainAndRegister(ctx, { params }), /deno task ingest/);
  } finally {
    ctx.closeKernel();
    await Deno.remove(dir, { recursive: true });
  }
});
