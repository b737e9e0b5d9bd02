/** Beyond-accuracy figures and the tie-aware line against hand computations. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import {
  beyondAccuracy,
  gini,
  meanIntraListDistance,
  popularityPercentiles,
} from "../../../src/model/evaluation/beyond_accuracy.ts";
import { popularityScorer } from "../../../src/model/evaluation/baselines.ts";
import {
  beyondMetrics,
  evaluateFull,
  strictlyLaterUsers,
} from "../../../src/model/evaluation/report.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("gini() is 0 for equal counts, 0.75 when one of four movies takes everything, 2/9 for 1, 2, 3", () => {
  close(gini([1, 1, 1, 1]), 0);
  close(gini([0, 0, 0, 0]), 0);
  close(gini([4, 0, 0, 0]), 0.75);
  close(gini([3, 1, 2]), 2 / 9);
});

Deno.test("popularityPercentiles() puts the least popular at 0, the most at 100 and ties at their mid rank", () => {
  assert.deepEqual(Array.from(popularityPercentiles([5, 1, 3, 3])), [100, 0, 50, 50]);
});

Deno.test("meanIntraListDistance() averages pairwise genre Jaccard distances per list, then over lists", () => {
  const genres = [["A", "B"], ["B"], ["C"], []];
  close(meanIntraListDistance([[0, 1]], genres), 0.5);
  close(meanIntraListDistance([[0, 1], [1, 2]], genres), 0.75);
  close(meanIntraListDistance([[0, 1, 2]], genres), 2.5 / 3);
  // Two movies without genres are not diverse; a one-movie list is not counted.
  close(meanIntraListDistance([[3, 3], [2]], genres), 0);
});

Deno.test("beyondAccuracy() computes coverage, Gini, popularity percentile and novelty of the lists", () => {
  const stats = { popularity: [4, 2, 1, 1, 0], users: 4, genres: [["A"], ["A"], ["B"], [], []] };
  const b = beyondAccuracy([[0, 1], [1, 2]], stats);
  assert.equal(b.lists, 2);
  close(b.coverage, 3 / 5);
  close(b.gini, gini([1, 2, 1, 0, 0]));
  // Percentiles: 100, 75, 37.5, 37.5, 0 → mean over the slots 0, 1, 1, 2.
  close(b.popularityPercentile, (100 + 75 + 75 + 37.5) / 4);
  // Self-information: 0, 1, 1, 2 bits.
  close(b.novelty, 1);
  close(b.diversity!, (0 + 1) / 2);
  assert.equal(beyondAccuracy([[4]], { ...stats, genres: undefined }).diversity, null);
  // A movie nobody watched counts as one viewer: log2(4) bits, not infinity.
  close(beyondAccuracy([[4]], stats).novelty, 2);
});

Deno.test("evaluateFull() reports the tie-aware line on the users whose test movie is strictly later", async () => {
  // Users 1 and 2: test after validation; user 3: same timestamp (ordered by movie id).
  const rows = [
    [1, 10, 1],
    [1, 11, 2],
    [1, 12, 3],
    [1, 13, 4],
    [2, 10, 1],
    [2, 12, 2],
    [2, 11, 3],
    [3, 10, 1],
    [3, 13, 2],
    [3, 14, 3],
    [3, 11, 3],
  ];
  const split = splitInteractions({
    users: rows.map((r) => r[0]),
    items: rows.map((r) => r[1]),
    timestamps: rows.map((r) => r[2]),
  });
  assert.deepEqual(strictlyLaterUsers(split), [0, 1]);
  const genres = new Map([[10, ["A"]], [11, ["A", "B"]], [12, ["B"]], [13, ["C"]]]);
  const e = await evaluateFull(split, popularityScorer(split), { genres });
  assert.equal(e.strict.users, 2);
  assert.equal(e.test.users, 3);
  const strictRanks = [e.test.ranks[0], e.test.ranks[1]];
  const hits = strictRanks.map((r) => (r <= 10 ? 1 / Math.log2(r + 1) : 0));
  close(e.strict.ndcg10, (hits[0] + hits[1]) / 2);
  assert.equal(e.strict.beyond.lists, 2);
  assert.ok(e.test.beyond.coverage > 0 && e.test.beyond.coverage <= 1);
  const m = beyondMetrics(e);
  assert.equal(m.strict_users, 2);
  close(m.val_coverage10, e.validation.beyond.coverage);
  close(m.test_diversity10, e.test.beyond.diversity!);
  close(m.strict_test_ndcg10, e.strict.ndcg10);
});
