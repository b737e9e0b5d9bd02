/** EASE and ItemKNN trained in the kernel against the float64 references on a small fixture: scores, ranking metrics, checkpoints, explanations. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { historyIndices } from "../../../src/features/split.ts";
import { evaluateBoth } from "../../../src/model/evaluation/ranking_metrics.ts";
import { checkpointFamily } from "../../../src/model/families/checkpoint.ts";
import { trainCsr } from "../../../src/model/families/data.ts";
import { easeMaxItems, easeNeeds, trainEase } from "../../../src/model/families/ease.ts";
import { easeFitBytes, EaseSolver } from "../../../src/model/families/ease_fit.ts";
import { trainItemKnn } from "../../../src/model/families/itemknn.ts";
import { openModel } from "../../../src/model/families/open.ts";
import type { RecommenderModel } from "../../../src/model/model.ts";
import type { Scorer } from "../../../src/model/evaluation/ranking_metrics.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { trainRecommender } from "../../../src/model/training/train.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";
import * as ref from "../../reference/linalg.ts";
import { assertClose } from "../../reference/compare.ts";

const MEMORY = 256 << 20;
// 120 users over 180 movies (the low-rank route) and 400 users over 120 movies (the dense one).
const FEW_USERS = splitInteractions(sequenceInteractions({ users: 120, seed: 3 }));
const MANY_USERS = splitInteractions(
  sequenceInteractions({ users: 400, chains: 4, chainLength: 30, seed: 4 }),
);

/** A scorer over dense float64 item-to-item weights. */
function referenceScorer(w: Float64Array, n: number): Scorer {
  return {
    score(histories, out) {
      histories.forEach((h, r) => out.set(ref.scoreHistory(w, n, [...new Set(h)]), r * n));
    },
  };
}

/** Scores of the first `users` users' test histories, model vs reference. */
function assertScoresMatch(label: string, model: RecommenderModel, w: Float64Array): void {
  const split = model.size === FEW_USERS.universe.size ? FEW_USERS : MANY_USERS;
  const n = model.size;
  const histories = split.users.slice(0, 20).map((u) => historyIndices(u, "test"));
  const out = new Float32Array(histories.length * n);
  model.scoreInto(histories, out);
  const expected = new Float64Array(out.length);
  histories.forEach((h, r) => expected.set(ref.scoreHistory(w, n, [...new Set(h)]), r * n));
  assertClose(label, out, expected, { atol: 2e-5, rtol: 1e-3 });
}

for (
  const [name, split, path] of [
    ["low-rank", FEW_USERS, "low-rank"],
    ["dense", FEW_USERS, "dense"],
    ["dense (more users than items)", MANY_USERS, undefined],
  ] as const
) {
  Deno.test(`EASE's ${name} fit gives the float64 reference's scores and ranking metrics`, async () => {
    const fit = await trainEase(split, { memoryBytes: MEMORY, lambdas: [20], path });
    try {
      assert.equal(fit.params.path, path ?? "dense");
      const w = ref.easeWeights(trainCsr(split), 20);
      assertScoresMatch(`EASE ${name}`, fit.model, w);
      const got = await evaluateBoth(split, fit.model.scorer());
      const want = await evaluateBoth(split, referenceScorer(w, split.universe.size));
      assert.ok(Math.abs(got.validation.ndcg10 - want.validation.ndcg10) < 1e-3);
      assert.ok(Math.abs(got.test.ndcg10 - want.test.ndcg10) < 1e-3);
      assert.ok(got.test.ndcg10 > 0.05, `EASE learns the chains: test NDCG@10 ${got.test.ndcg10}`);
    } finally {
      fit.model.close();
    }
  });
}

Deno.test("EASE's reduced scorer (the grid's, no B formed) gives the float64 reference's scores outside each history, −∞ on it", async () => {
  const x = trainCsr(FEW_USERS);
  const n = x.cols;
  assert.ok(x.rows < n, "the fixture takes the low-rank route");
  const kernel = await Kernel.create({
    threads: 2,
    initialMiB: Math.ceil(easeFitBytes(n, x.rows) / 1048576) + 4,
  });
  try {
    const solver = new EaseSolver(kernel, x);
    // Validation and test histories; two λ in turn, then the first again (Zᵀ is recomputed).
    const histories = FEW_USERS.users.slice(0, 40).flatMap((u) => [
      historyIndices(u, "validation"),
      historyIndices(u, "test"),
    ]);
    for (const lambda of [20, 200, 20]) {
      const out = new Float32Array(histories.length * n).fill(Number.NaN);
      await solver.reducedScorer(lambda).score(histories, out);
      const w = ref.easeWeights(x, lambda);
      const got: number[] = [], want: number[] = [];
      histories.forEach((h, r) => {
        const expected = ref.scoreHistory(w, n, [...new Set(h)]);
        const own = new Set(h);
        for (let j = 0; j < n; j++) {
          if (own.has(j)) assert.equal(out[r * n + j], -Infinity);
          else (got.push(out[r * n + j]), want.push(expected[j]));
        }
      });
      assertClose(`reduced EASE λ=${lambda}`, Float32Array.from(got), Float64Array.from(want), {
        atol: 2e-5,
        rtol: 1e-3,
      });
    }
    // The full fit after the reduced scorers gives B as before.
    solver.fit(20);
    const w = ref.easeWeights(x, 20);
    assertClose("B after reduced scorers", kernel.f32(solver.weights, n * n), w, {
      atol: 2e-5,
      rtol: 1e-3,
    });
  } finally {
    kernel.close();
  }
});

Deno.test("ItemKNN gives the float64 reference's scores and ranking metrics for each k", async () => {
  for (const k of [3, 10]) {
    const fit = await trainItemKnn(FEW_USERS, { memoryBytes: MEMORY, ks: [k] });
    try {
      const w = ref.knnWeights(trainCsr(FEW_USERS), k);
      assertScoresMatch(`ItemKNN k=${k}`, fit.model, w);
      const got = await evaluateBoth(FEW_USERS, fit.model.scorer());
      const want = await evaluateBoth(FEW_USERS, referenceScorer(w, FEW_USERS.universe.size));
      assert.ok(Math.abs(got.test.ndcg10 - want.test.ndcg10) < 1e-3);
    } finally {
      fit.model.close();
    }
  }
});

Deno.test("the grid keeps the value with the best validation NDCG@10 and reports every value", async () => {
  const seen: number[] = [];
  const fit = await trainItemKnn(FEW_USERS, {
    memoryBytes: MEMORY,
    ks: [1, 5, 40],
    onCandidate: (c) => void seen.push(c.value),
  });
  try {
    assert.deepEqual(seen, [1, 5, 40]);
    const best = fit.grid.reduce((b, c) => (c.valNdcg10 > b.valNdcg10 ? c : b));
    assert.equal(fit.params.k, best.value);
    assert.equal(fit.model.params.k, best.value);
  } finally {
    fit.model.close();
  }
});

Deno.test("EASE and ItemKNN checkpoints name their family and load back to the same scores", async () => {
  const ease = await trainEase(FEW_USERS, { memoryBytes: MEMORY, lambdas: [10] });
  // float16 (EASE's default storage) halves the file and keeps the scores to 3 digits.
  const half = await openModel(await ease.model.save());
  const h = [historyIndices(FEW_USERS.users[0], "test")];
  const [exact, rounded] = [new Float32Array(half.size), new Float32Array(half.size)];
  ease.model.scoreInto(h, exact);
  half.scoreInto(h, rounded);
  half.close();
  assertClose("float16 B", rounded, exact, { atol: 1e-4, rtol: 2e-3 });
  ease.model.storage = "f32";
  for (const fit of [ease, await trainItemKnn(FEW_USERS, { memoryBytes: MEMORY, ks: [5] })]) {
    const bytes = await fit.model.save({ runId: "r1" });
    assert.equal(checkpointFamily(bytes), fit.model.family);
    const back = await openModel(bytes);
    try {
      assert.equal(back.family, fit.model.family);
      assert.equal(back.info.runId, "r1");
      const h = [historyIndices(FEW_USERS.users[0], "test")];
      const [a, b] = [new Float32Array(back.size), new Float32Array(back.size)];
      fit.model.scoreInto(h, a);
      back.scoreInto(h, b);
      assert.deepEqual(b, a);
      const broken = bytes.slice();
      broken[40] ^= 1;
      await assert.rejects(
        openModel(broken),
        (e) => e instanceof ReelrankError && e.code === "CORRUPT",
      );
    } finally {
      back.close();
      fit.model.close();
    }
  }
});

Deno.test("explain() gives each history movie its exact weight: removing it drops the score by that much", async () => {
  for (
    const fit of [
      await trainEase(FEW_USERS, { memoryBytes: MEMORY, lambdas: [10] }),
      await trainItemKnn(FEW_USERS, { memoryBytes: MEMORY, ks: [10] }),
    ]
  ) {
    const m = fit.model;
    try {
      const user = FEW_USERS.users[1];
      const history = Array.from(user.trainItems);
      const top = m.recommend(history, 3);
      const because = m.explain(history, top.map((s) => s.movieId), { max: 100 });
      const scoreOf = (h: number[], target: number) => {
        const out = new Float32Array(m.size);
        m.scoreInto([h.map((id) => m.indexOf(id))], out);
        return out[m.indexOf(target)];
      };
      top.forEach((s, i) => {
        assert.ok(because[i].length > 0, `${m.family}: movie ${s.movieId} has reasons`);
        for (const b of because[i]) {
          const without = history.filter((id) => id !== b.movieId);
          const drop = scoreOf(history, s.movieId) - scoreOf(without, s.movieId);
          assert.ok(
            Math.abs(drop - b.contribution) < 1e-5,
            `${m.family}: ${drop} vs ${b.contribution}`,
          );
          assert.notEqual(b.movieId, s.movieId);
        }
      });
    } finally {
      m.close();
    }
  }
});

Deno.test("recommendMany() never returns a history or excluded movie and honours an allow mask", async () => {
  const fit = await trainEase(FEW_USERS, { memoryBytes: MEMORY, lambdas: [10] });
  const m = fit.model;
  try {
    const history = Array.from(FEW_USERS.users[2].trainItems);
    const [plain] = m.recommendMany([{ history, k: 10 }]);
    assert.equal(plain.length, 10);
    for (const s of plain) assert.ok(!history.includes(s.movieId));
    const exclude = plain.slice(0, 3).map((s) => s.movieId);
    const allowed = Array.from(m.itemIds).filter((_, i) => i % 2 === 0);
    const [ex, masked] = m.recommendMany([
      { history, k: 10, exclude },
      { history, k: 5, allow: m.maskOf(allowed) },
    ]);
    assert.deepEqual(
      ex.map((s) => s.movieId),
      plain.slice(3).map((s) => s.movieId).concat(ex.slice(7).map((s) => s.movieId)),
    );
    assert.equal(masked.length, 5);
    for (const s of masked) assert.ok(allowed.includes(s.movieId) && !history.includes(s.movieId));
    assert.deepEqual(
      m.similar(history[0], 4).map((s) => s.movieId),
      m.recommend([history[0]], 4).map((s) => s.movieId),
    );
    assert.throws(() => m.recommend(history, 0), /k must be an integer/);
  } finally {
    m.close();
  }
});

Deno.test("EASE is refused with a reason naming the memory limit when its matrix does not fit", async () => {
  const need = easeNeeds(FEW_USERS.universe.size, FEW_USERS.users.length);
  await assert.rejects(
    trainEase(FEW_USERS, { memoryBytes: need - 1, lambdas: [10] }),
    (e) =>
      e instanceof ReelrankError && e.code === "UNAVAILABLE" && e.permanent &&
      /EASE skipped: 162 items need \d+ MiB .* over the \d+ MiB limit \(REELRANK_FAMILY_MEMORY_MIB\)/
        .test(e.message),
  );
  // The default 1,536 MiB holds the dense route's matrix up to about 19,700 items.
  const max = easeMaxItems(1536 << 20);
  assert.ok(easeNeeds(max, max, "dense") <= 1536 << 20);
  assert.ok(easeNeeds(max + 1, max + 1, "dense") > 1536 << 20);
});

Deno.test("openModel() opens an MLP checkpoint as the mlp family and refuses bytes of no family", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, FEW_USERS, {
      params: { ...SMALL_PARAMS, epochs: 1 },
    });
    const bytes = await model.save();
    assert.equal(checkpointFamily(bytes), "mlp");
    const back = await openModel(bytes);
    try {
      assert.equal(back.family, "mlp");
      assert.deepEqual(back.itemIds, model.itemIds);
    } finally {
      back.close();
    }
    await assert.rejects(
      openModel(new TextEncoder().encode("PK\u0003\u0004 not a checkpoint at all, just bytes")),
      (e) =>
        e instanceof ReelrankError && e.code === "CORRUPT" &&
        /expected "RRNETCK" or "RRITEMS"/.test(e.message),
    );
  } finally {
    kernel.close();
  }
});
