/** deno task bench scaling: the sets it builds and the figures it reports, on a small folder. */
import assert from "node:assert/strict";
import {
  beforePercentile,
  benchScaling,
  readMovieLens,
  virtualRatings,
} from "../../../src/bench/scaling.ts";
import { writeSequenceFolder } from "../../fixtures/sequences/movielens.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

/**
 * `ratio` is a / b computed from unrounded figures and rounded to 0.001; a and b are reported
 * rounded to `step`: equal up to those roundings.
 */
function ratioNear(ratio: number, a: number, b: number, step: number): void {
  const slack = (step / 2 / b) * (1 + a / b) + 0.001;
  assert.ok(Math.abs(ratio - a / b) <= slack, `${ratio} is not ${a} / ${b}`);
}

Deno.test("bench scaling: time subsets keep only earlier ratings; virtual sets are seeded and grow with their users", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-scaling-" });
  try {
    const n = await writeSequenceFolder(dir, { users: 60 });
    const { ratings, catalog } = await readMovieLens(dir);
    assert.equal(ratings.length, n);
    assert.equal(catalog.length, 180);
    assert.ok(catalog.every((m) => m.genres.length === 1));

    const early = beforePercentile(ratings, 40);
    const cut = Math.max(...early.map((r) => r.ts));
    assert.ok(early.length > 0 && early.length < ratings.length);
    assert.ok(ratings.filter((r) => r.ts <= cut).length === early.length);
    assert.ok(Math.abs(early.length / ratings.length - 0.4) < 0.1);

    const a = virtualRatings(catalog, 20, 15, 1);
    assert.deepEqual(virtualRatings(catalog, 20, 15, 1), a);
    assert.notDeepEqual(virtualRatings(catalog, 20, 15, 2), a);
    const big = virtualRatings(catalog, 100, 15, 1);
    assert.equal(new Set(big.map((r) => r.user)).size, 100);
    assert.deepEqual(big.filter((r) => r.user <= 20), a); // user i depends on (seed, i) only
    assert.ok(big.length > 3.5 * a.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench scaling: every set gets EASE and the default model's figures, and the 1× → 5× growth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-scaling-" });
  try {
    await writeSequenceFolder(dir, { users: 40 });
    const r = await benchScaling({
      folder: dir,
      sets: ["before-p70", "virtual-1x", "virtual-5x"],
      seed: 1,
      threads: 1,
      memoryMiB: 256,
      params: { ...SMALL_PARAMS, epochs: 1, transitionWindow: 0 },
    });
    assert.deepEqual(r.rows.map((x) => x.set), ["before-p70", "virtual-1x", "virtual-5x"]);
    for (const x of r.rows) {
      for (const v of [x.popularity_test_ndcg10, x.ease_test_ndcg10, x.test_ndcg10]) {
        assert.ok(v >= 0 && v <= 1, `${x.set}: NDCG@10 ${v}`);
      }
      assert.ok(x.train_seconds > 0 && x.users > 0 && x.items > 0);
      // Both figures are rounded to 0.01: compare in seconds of training.
      assert.ok(Math.abs(x.seconds_per_100k * (x.interactions / 1e5) - x.train_seconds) < 0.011);
    }
    const [, one, five] = r.rows;
    assert.ok(five.users > 4 * one.users);
    assert.ok(r.growth);
    assert.equal(r.growth.interactions, Number((five.interactions / one.interactions).toFixed(3)));
    ratioNear(r.growth.seconds, five.train_seconds, one.train_seconds, 0.01);
    ratioNear(r.growth.per_interaction, r.growth.seconds, r.growth.interactions, 0.001);
    assert.deepEqual(five.epochs, [1]); // one member, one epoch: what SMALL_PARAMS and epochs 1 ask
    assert.ok(five.epoch_seconds > 0);
    ratioNear(r.growth.epoch_seconds, five.epoch_seconds, one.epoch_seconds, 0.001);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
