/** Leave-one-out explanations: the right movie explains a chain's next movie, and the drops are real. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { trainRecommender } from "../../../src/model/training/train.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

// Chains of 30 movies: chain c holds movies 1 + 30c … 30 + 30c, watched in order.
async function chainModel(): Promise<Recommender> {
  const split = splitInteractions(sequenceInteractions({ users: 200, noise: 0.05 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, split, {
      params: { ...SMALL_PARAMS, epochs: 12, patience: 12 },
    });
    return await Recommender.open(await model.save({}, { tables: "f32" }));
  } finally {
    kernel.close();
  }
}

// One history's score of `target`, from its own forward pass.
function scoreOf(model: Recommender, history: number[], target: number): number {
  const out = new Float32Array(model.size);
  model.scoreInto([history.map((id) => model.indexOf(id))], out);
  return out[model.indexOf(target)];
}

Deno.test("explain() names the movie that drives a recommendation: a chain movie explains its successor", async () => {
  const model = await chainModel();
  try {
    // Chain 2, with movie 11 of chain 0 in the middle: 12 (11's successor) owes its score to 11
    // although two movies came since, and 71 to 70 — "the latest movie" is right only for 71.
    const history = [66, 67, 68, 11, 69, 70];
    const [for12, for71] = model.explain(history, [12, 71]);
    assert.equal(for12[0]?.movieId, 11);
    assert.equal(for71[0]?.movieId, 70);
    for (const b of [...for12, ...for71]) assert.ok(history.includes(b.movieId), `${b.movieId}`);
  } finally {
    model.close();
  }
});

Deno.test("explain() contributions equal the score drops recomputed with separate forward passes, the top one largest", async () => {
  const model = await chainModel();
  try {
    const history = [35, 36, 37, 95, 96, 5, 6, 7];
    const targets = model.recommend(history, 3).map((r) => r.movieId);
    const explained = model.explain(history, targets, { max: history.length });
    targets.forEach((target, i) => {
      const full = scoreOf(model, history, target);
      const drops = new Map(
        history.map((m) => [m, full - scoreOf(model, history.filter((h) => h !== m), target)]),
      );
      // Exactly the movies whose removal lowers the score, each with its recomputed drop.
      const positive = [...drops].filter(([m, d]) => d > 1e-5 && m !== target).map(([m]) => m);
      const named = explained[i].map((b) => b.movieId);
      for (const m of positive) assert.ok(named.includes(m), `target ${target}: ${m} missing`);
      for (const b of explained[i]) {
        assert.ok(
          Math.abs(b.contribution - drops.get(b.movieId)!) < 1e-4,
          `target ${target}, movie ${b.movieId}: ${b.contribution} vs ${drops.get(b.movieId)}`,
        );
      }
      const top = explained[i][0];
      if (top) { for (const d of drops.values()) assert.ok(top.contribution >= d - 1e-5); }
      assert.ok(explained[i].every((b) => b.contribution > 0 && b.movieId !== target));
    });
    assert.ok(explained.some((e) => e.length > 0), "no target was explained at all");
  } finally {
    model.close();
  }
});

Deno.test("explainMany() answers every history as explain() does alone, and keeps at most three movies by default", async () => {
  const model = await chainModel();
  try {
    const requests = [
      { history: [66, 67, 68, 11, 69, 70], targets: [12, 71, 72] },
      { history: [], targets: [1] },
      { history: [35, 36, 37, 95, 96, 5, 6, 7], targets: [8, 38, 97] },
      { history: [150, 151, 152, 153, 154, 155], targets: [156] },
    ];
    const batched = model.explainMany(requests);
    requests.forEach((r, i) => {
      const alone = model.explain(r.history, r.targets);
      assert.equal(batched[i].length, r.targets.length);
      batched[i].forEach((why, j) => {
        assert.ok(why.length <= 3);
        assert.deepEqual(why.map((b) => b.movieId), alone[j].map((b) => b.movieId));
        why.forEach((b, n) =>
          assert.ok(Math.abs(b.contribution - alone[j][n].contribution) < 1e-5)
        );
      });
    });
    assert.deepEqual(batched[1], [[]]);
  } finally {
    model.close();
  }
});

Deno.test("explain() never explains a movie by itself and ignores movies the model does not know", async () => {
  const model = await chainModel();
  try {
    const [self, unknown] = model.explain([10, 11, 12, -5], [12, -7]);
    assert.ok(self.every((b) => b.movieId !== 12));
    assert.ok(self.every((b) => b.movieId !== -5));
    assert.deepEqual(unknown, []);
    assert.deepEqual(model.explain([], [12]), [[]]);
  } finally {
    model.close();
  }
});
