/** The population stability index and the drift features' bins. */
import assert from "node:assert/strict";
import {
  activityBin,
  genreMix,
  popularityBuckets,
  popularityMix,
} from "../../../src/observability/drift/features.ts";
import { psi, PSI_FLOOR, shares } from "../../../src/observability/drift/psi.ts";
import { overlapAt10 } from "../../../src/observability/drift/recommendation_drift.ts";

const h = (o: Record<string, number>) => new Map(Object.entries(o));

Deno.test("psi() is 0 for the same shares and matches the textbook sum for different ones", () => {
  assert.equal(psi(h({ a: 10, b: 30 }), h({ a: 1, b: 3 })), 0);
  // (0.5 − 0.25)·ln(0.5/0.25) + (0.5 − 0.75)·ln(0.5/0.75)
  const expected = 0.25 * Math.log(2) + -0.25 * Math.log(0.5 / 0.75);
  assert.ok(Math.abs(psi(h({ a: 1, b: 3 }), h({ a: 1, b: 1 })) - expected) < 1e-12);
});

Deno.test("psi() stays finite when a bin is empty on one side, flooring its share", () => {
  const v = psi(h({ a: 1 }), h({ b: 1 }));
  const expected = 2 * (1 - PSI_FLOOR) * Math.log(1 / PSI_FLOOR);
  assert.ok(Number.isFinite(v));
  assert.ok(Math.abs(v - expected) < 1e-9);
  assert.deepEqual(shares(h({}), ["a"]), [0]);
});

Deno.test("genreMix() spreads one interaction over its movie's genres", () => {
  const genres = new Map([[1, ["Comedy", "Drama"]], [2, ["Drama"]]]);
  const mix = genreMix({ users: [1, 1, 2], movies: [1, 2, 3] }, (m) => genres.get(m) ?? []);
  assert.deepEqual(Object.fromEntries(mix), { Comedy: 0.5, Drama: 1.5, "(no genres)": 1 });
});

Deno.test("popularity buckets hold about a tenth of the reference each, and unseen movies are new", () => {
  const movies: number[] = [];
  for (let m = 1; m <= 200; m++) for (let i = 0; i < 1 + (m % 7); i++) movies.push(m);
  const reference = { users: movies.map(() => 1), movies };
  const bucketOf = popularityBuckets(reference);
  const mix = popularityMix(reference, bucketOf);
  assert.equal(mix.size, 10);
  for (const n of mix.values()) assert.ok(Math.abs(n / movies.length - 0.1) < 0.02, String(n));
  assert.equal(bucketOf(9999), "new");
});

Deno.test("activityBin() names the history-length bins", () => {
  assert.deepEqual(
    [1, 4, 5, 19, 20, 49, 50, 199, 200, 5000].map(activityBin),
    ["1-4", "1-4", "5-19", "5-19", "20-49", "20-49", "50-199", "50-199", "200+", "200+"],
  );
});

Deno.test("overlapAt10() averages the kept share of each user's top 10 over users in both batches", () => {
  const prev = new Map([[1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], [2, [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
  ]]]);
  const cur = new Map([
    [1, [1, 2, 3, 4, 5, 11, 12, 13, 14, 15]],
    [2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    [3, [20, 21]],
  ]);
  assert.equal(overlapAt10(cur, prev), (0.5 + 1) / 2);
  assert.equal(overlapAt10(new Map(), prev), 0);
});
