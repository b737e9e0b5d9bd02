/** trainFamilies(): one parent run, one child per family, the best registered and gated; skips, failures and the MLP search. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { ReelrankError } from "../../src/errors.ts";
import { parseFamilies, trainFamilies } from "../../src/model/families/train_families.ts";
import { loadSplit } from "../../src/model/training/run.ts";
import { SEARCH_SPACE, searchConfigs } from "../../src/model/families/search.ts";
import { checkParam, type ParamName } from "../../src/model/training/hyperparams.ts";
import { loadModel } from "../../src/serving/current_model.ts";
import { FsObjectStore } from "../../src/storage/fs.ts";
import { formatFamilies } from "../../src/cli/train_families.ts";
import { dbTest } from "../helpers/db.ts";
import { sequenceInteractions } from "../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../fixtures/sequences/params.ts";

async function seed(db: Database): Promise<void> {
  const data = sequenceInteractions({ users: 80 });
  const movies = [...new Set(data.items)];
  await db.query(
    `INSERT INTO movies (id, movielens_id, title, source, genres)
     SELECT id, id, 'Movie ' || id, 'movielens', ARRAY['G' || (id % 5), 'H' || (id % 3)]
     FROM unnest($1::int8[]) AS id`,
    [movies],
  );
  await db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, source)
     SELECT u, m, t, 'movielens' FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(u, m, t)`,
    [Array.from(data.users), Array.from(data.items), Array.from(data.timestamps)],
  );
}

async function context(db: Database, env: Record<string, string> = {}) {
  const objects = new FsObjectStore(await Deno.makeTempDir());
  return createContext({ config: loadConfig({ REELRANK_THREADS: "1", ...env }), db, objects });
}

const params = { ...SMALL_PARAMS, epochs: 4, patience: 4 };

dbTest(
  "trainFamilies() trains every family as a child of one parent run and registers the best on validation NDCG@10",
  async (db) => {
    await seed(db);
    const ctx = await context(db);
    try {
      const r = await trainFamilies(ctx, { params, lambdas: [10, 100], ks: [5, 20] });
      assert.deepEqual(r.children.map((c) => [c.family, c.status]), [
        ["ease", "trained"],
        ["itemknn", "trained"],
        ["mlp", "trained"],
      ]);
      const kids = await ctx.tracking.searchRuns({ filter: { parentRunId: r.runId } });
      assert.equal(kids.items.length, 3);
      for (const k of kids.items) {
        assert.equal(k.status, "finished");
        assert.equal(k.parentRunId, r.runId);
        for (
          const m of [
            "val_ndcg10",
            "test_ndcg10",
            "test_coverage10",
            "test_gini10",
            "test_novelty",
            "test_diversity10",
            "strict_test_ndcg10",
          ]
        ) {
          assert.ok(Number.isFinite(k.metrics[m]), `${k.tags.family} logs ${m}`);
        }
      }
      const ease = kids.items.find((k) => k.tags.family === "ease")!;
      assert.ok(["10", "100"].includes(ease.params.lambda));
      assert.equal(ease.params.grid, "10,100");
      assert.equal((await ctx.tracking.getMetricHistory(ease.id, "grid_val_ndcg10")).length, 2);
      const best = r.children.reduce((b, c) => (c.valNdcg10! > b.valNdcg10! ? c : b));
      assert.equal(r.best.runId, best.runId);
      const parent = await ctx.tracking.getRun(r.runId);
      assert.equal(parent.parentRunId, null);
      assert.equal(parent.tags.best_family, best.family);
      assert.equal(parent.tags.kind, "family-comparison");
      assert.ok(Math.abs(parent.metrics.ease_val_ndcg10 - r.children[0].valNdcg10!) < 1e-12);
      const version = await ctx.registry.getVersion("reelrank", r.version!);
      assert.equal(version.family, best.family);
      assert.equal(version.runId, best.runId);
      assert.equal(r.decision!.promoted, true);
      // The registered checkpoint loads through the serving path as the same family.
      const loaded = await loadModel(ctx);
      assert.equal(loaded.model.family, best.family);
      assert.equal(loaded.version.version, r.version);
      loaded.model.close();
    } finally {
      await ctx.releaseKernel();
    }
  },
);

dbTest(
  "a family that does not fit the memory limit is skipped with the reason in its run, and the others still compete",
  async (db) => {
    await seed(db);
    // 64 MiB is below what even a small EASE model reserves for its kernel.
    const ctx = await context(db, { REELRANK_FAMILY_MEMORY_MIB: "64" });
    try {
      const split = await loadSplit(ctx);
      const r = await trainFamilies(ctx, {
        families: ["ease", "itemknn"],
        ks: [10],
        register: false,
        split,
        runId: "comparison-1",
        tags: { pipeline_key: "k1" },
      });
      // Left to the pipeline: the best child's checkpoint, logged on its run, nothing registered.
      assert.equal(r.runId, "comparison-1");
      assert.equal((await ctx.tracking.getRun(r.runId)).tags.pipeline_key, "k1");
      const [artifact] = await ctx.tracking.listArtifacts(r.best.runId);
      assert.deepEqual(
        { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
        r.checkpoint,
      );
      assert.equal(r.children[0].status, "skipped");
      assert.match(
        r.children[0].reason!,
        /EASE skipped: \d+ items need \d+ MiB .* over the 64 MiB limit/,
      );
      const run = await ctx.tracking.getRun(r.children[0].runId);
      assert.equal(run.status, "finished");
      assert.equal(run.tags.skipped, "true");
      assert.match(run.tags.skip_reason, /REELRANK_FAMILY_MEMORY_MIB/);
      assert.equal(r.best.family, "itemknn");
      assert.equal(r.version, undefined);
      assert.equal((await ctx.registry.listModels()).length, 0);
    } finally {
      await ctx.releaseKernel();
    }
  },
);

dbTest(
  "the MLP search runs configurations of the table as child runs within its budget",
  async (db) => {
    await seed(db);
    const ctx = await context(db);
    try {
      const wide = await trainFamilies(ctx, {
        families: ["mlp"],
        params,
        search: { configs: 3, budgetEase: 1e6 },
        register: false,
      });
      assert.equal(wide.children.length, 3);
      assert.ok(wide.easeFitSeconds! > 0);
      const names = (await ctx.tracking.searchRuns({ filter: { parentRunId: wide.runId } })).items
        .map((k) => k.name).sort();
      assert.deepEqual(names, ["mlp search 1/3", "mlp search 2/3", "mlp search 3/3"]);
      const tight = await trainFamilies(ctx, {
        families: ["mlp"],
        params,
        search: { configs: 3, budgetEase: 1e-6 },
        register: false,
      });
      assert.equal(tight.children.length, 1);
      const parent = await ctx.tracking.getRun(tight.runId);
      assert.equal(parent.metrics.search_configs_run, 1);
      assert.equal(wide.search?.stopped, undefined);
      assert.match(tight.search!.stopped!, /^the search budget is spent: 1 of 3 configurations/);
      assert.equal(parent.tags.search_stopped, tight.search!.stopped);
      assert.match(formatFamilies(tight), /\nMLP search stopped early: the search budget is spent/);
    } finally {
      await ctx.releaseKernel();
    }
  },
);

dbTest(
  "with EASE over the memory limit the MLP search is skipped with its reason on the run, and the MLP trains once",
  async (db) => {
    await seed(db);
    // 64 MiB is below what even a small EASE fit reserves: no EASE fit, so no budget unit.
    const ctx = await context(db, { REELRANK_FAMILY_MEMORY_MIB: "64" });
    try {
      const r = await trainFamilies(ctx, {
        families: ["ease", "mlp"],
        params,
        search: { configs: 3, budgetEase: 40 },
        register: false,
      });
      assert.deepEqual(r.children.map((c) => [c.family, c.status]), [
        ["ease", "skipped"],
        ["mlp", "trained"],
      ]);
      assert.equal(r.best.family, "mlp");
      assert.equal(r.easeFitSeconds, undefined);
      assert.equal(r.search?.ran, 0);
      assert.equal(r.search?.budgetSeconds, undefined);
      assert.match(
        r.search!.skipped!,
        /^the MLP search was skipped and the MLP trained once .* \(EASE skipped: \d+ items need \d+ MiB .* over the 64 MiB limit/,
      );
      const parent = await ctx.tracking.getRun(r.runId);
      assert.equal(parent.status, "finished");
      assert.equal(parent.tags.search_skipped, r.search!.skipped);
      assert.equal(parent.metrics.search_configs_run, 0);
      const names = (await ctx.tracking.searchRuns({ filter: { parentRunId: r.runId } })).items
        .map((k) => k.name).sort();
      assert.deepEqual(names, ["ease", "mlp"]);
      assert.match(formatFamilies(r), /\nthe MLP search was skipped and the MLP trained once/);
    } finally {
      await ctx.releaseKernel();
    }
  },
);

Deno.test("parseFamilies() orders EASE first and refuses unknown or empty lists by name", () => {
  assert.deepEqual(parseFamilies(["mlp", "ITEMKNN", "ease", "mlp"]), ["ease", "itemknn", "mlp"]);
  assert.throws(
    () => parseFamilies(["svd"]),
    (e) =>
      e instanceof ReelrankError && e.code === "INVALID_PARAMETER" &&
      /unknown family "svd", expected some of mlp, ease, itemknn/.test(e.message),
  );
  assert.throws(() => parseFamilies([]), /at least one/);
});

Deno.test("searchConfigs() starts from the defaults and draws distinct configurations the table accepts", () => {
  const configs = searchConfigs(5, 7);
  assert.equal(configs.length, 5);
  assert.deepEqual(configs[0], {});
  assert.equal(new Set(configs.map((c) => JSON.stringify(c))).size, 5);
  for (const c of configs) {
    for (const [k, v] of Object.entries(c)) checkParam(k as ParamName, v);
  }
  assert.deepEqual(searchConfigs(5, 7), configs);
  for (const [k, values] of Object.entries(SEARCH_SPACE)) {
    for (const v of values) checkParam(k as ParamName, v);
  }
});
