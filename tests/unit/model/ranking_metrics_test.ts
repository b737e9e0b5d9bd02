/** Tests of the exact-rank tie-break, the metric values, standard errors and top-k on hand-made rankings. */
import assert from "node:assert/strict";
import {
  evaluateRanking,
  metricsFromRanks,
  rankOf,
  type Scorer,
  topK,
} from "../../../src/model/evaluation/ranking_metrics.ts";
import { splitInteractions } from "../../../src/features/split.ts";
import { ReelrankError } from "../../../src/errors.ts";

const close = (a: number, b: number, msg?: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ""} got ${a}, expected ${b}`);

Deno.test("rankOf() counts strictly higher scores and equal scores with a smaller index only", () => {
  const s = Float32Array.of(0.5, 0.9, 0.5, 0.1, 0.5, 0.7);
  assert.equal(rankOf(s, 2), 4); // 0.9, 0.7, and the tied index 0
  assert.equal(rankOf(s, 0), 3); // 0.9, 0.7; ties at 2 and 4 come after
  assert.equal(rankOf(s, 4), 5);
  assert.equal(rankOf(s, 1), 1);
  assert.equal(rankOf(s, 3), 6);
});

Deno.test("rankOf() leaves excluded items out of the candidates, including tied ones and duplicates", () => {
  const s = Float32Array.of(0.5, 0.9, 0.5, 0.1, 0.5, 0.7);
  assert.equal(rankOf(s, 2, { exclude: [1, 0, 0] }), 2); // only 0.7 remains above
  assert.equal(rankOf(s, 4, { exclude: [3, 5] }), 4); // 0.9 and the two tied smaller ids
  assert.equal(rankOf(s, 2, { exclude: [2] }), 4); // the target itself is always ranked
});

Deno.test("rankOf() refuses a NaN target score and a target index outside the scores", () => {
  assert.throws(
    () => rankOf(Float32Array.of(1, NaN), 1),
    (e) => e instanceof ReelrankError && /NaN/.test(e.message),
  );
  assert.throws(
    () => rankOf(Float32Array.of(1, 2), 2),
    (e) => e instanceof ReelrankError && /got 2/.test(e.message),
  );
});

Deno.test("metricsFromRanks() gives HR, NDCG and MRR per the protocol, with misses as zeros", () => {
  const m = metricsFromRanks([1, 3, 15, 40, Infinity]);
  close(m.hr10, 2 / 5);
  close(m.hr20, 3 / 5);
  close(m.ndcg10, (1 + 1 / Math.log2(4)) / 5);
  close(m.ndcg20, (1 + 1 / Math.log2(4) + 1 / Math.log2(16)) / 5);
  close(m.mrr, (1 + 1 / 3 + 1 / 15 + 1 / 40) / 5);
  assert.equal(m.users, 5);
});

Deno.test("metricsFromRanks() standard error is the sample standard deviation over sqrt(users)", () => {
  // HR@10 values 1,1,0,0: mean 0.5, sample variance 1/3, se = sqrt(1/3)/2.
  const m = metricsFromRanks([1, 2, 11, Infinity]);
  close(m.se.hr10, Math.sqrt(1 / 3) / 2);
  close(m.se.mrr, stdSample([1, 1 / 2, 1 / 11, 0]) / 2);
  assert.equal(metricsFromRanks([3]).se.ndcg10, 0);
});

Deno.test("evaluateRanking() counts an out-of-universe held-out item as a miss and keeps the user in the denominator", async () => {
  // universe {1,2,3}; user 1: train 1, val 2, test 9 (outside); user 2: train 2,3, val 1, test 2.
  const split = splitInteractions({
    users: [1, 1, 1, 2, 2, 2, 2],
    items: [1, 2, 9, 2, 3, 1, 2],
    timestamps: [1, 2, 3, 1, 2, 3, 4],
  });
  const scorer: Scorer = { score: (h, out) => out.set(h.flatMap(() => [3, 2, 1])) };
  const val = await evaluateRanking(split, scorer, { phase: "validation" });
  // user 1: candidates {2,3} (1 excluded), item 2 ranks 1; user 2: candidates {1}, rank 1.
  assert.deepEqual([...val.ranks], [1, 1]);
  const test = await evaluateRanking(split, scorer, { phase: "test", batchSize: 1 });
  // user 1: miss; user 2: history 2,3,1 excludes everything but the target itself → rank 1.
  assert.deepEqual([...test.ranks], [Infinity, 1]);
  assert.equal(test.users, 2);
  close(test.hr10, 0.5);
});

Deno.test("evaluateRanking() refuses a scorer that leaves a target score unset", async () => {
  const split = splitInteractions({
    users: [1, 1, 1, 1],
    items: [1, 2, 1, 2],
    timestamps: [1, 2, 3, 4],
  });
  await assert.rejects(
    evaluateRanking(split, { score: () => {} }, { phase: "validation" }),
    (e) => e instanceof ReelrankError && /NaN/.test(e.message),
  );
});

Deno.test("topK() orders by score then ascending index, skipping excluded items and NaN", () => {
  const s = Float32Array.of(0.5, 0.9, 0.5, NaN, 0.5, 0.7, 0.2);
  assert.deepEqual([...topK(s, 4)], [1, 5, 0, 2]);
  assert.deepEqual([...topK(s, 3, { exclude: [5, 0] })], [1, 2, 4]);
  assert.deepEqual([...topK(s, 10)], [1, 5, 0, 2, 4, 6]);
});

Deno.test("topK() agrees with rankOf() on random scores with many ties", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const s = Float32Array.from({ length: 300 }, () => Math.floor(rand() * 20));
  const exclude = Array.from({ length: 40 }, () => Math.floor(rand() * 300));
  const top = topK(s, 50, { exclude });
  top.forEach((c, r) => assert.equal(rankOf(s, c, { exclude }), r + 1));
});

function stdSample(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}
