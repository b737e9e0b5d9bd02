/** Tests of the popularity baseline, including the shared/EVALUATION.md reference numbers on ml-latest-small. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { popularityCounts, popularityScorer } from "../../../src/model/evaluation/baselines.ts";
import { evaluateBoth } from "../../../src/model/evaluation/ranking_metrics.ts";
import { readMlLatestSmall } from "../features/ml_latest_small.ts";

Deno.test("popularityCounts() counts train interactions only, by dense index", () => {
  const split = splitInteractions({
    users: [1, 1, 1, 1, 2, 2, 2],
    items: [5, 3, 8, 8, 3, 9, 5],
    timestamps: [1, 2, 3, 4, 1, 2, 3],
  });
  // train: user 1 → 5, 3; user 2 → 3. Held-out 8, 8, 9, 5 do not count.
  assert.deepEqual([...split.universe.ids], [3, 5]);
  assert.deepEqual([...popularityCounts(split)], [2, 1]);
});

Deno.test("the popularity baseline reproduces the shared/EVALUATION.md reference numbers on ml-latest-small", async () => {
  const split = splitInteractions(await readMlLatestSmall());
  const { validation, test } = await evaluateBoth(split, popularityScorer(split));
  const r4 = (x: number) => x.toFixed(4);
  assert.equal(r4(validation.ndcg10), "0.0172");
  assert.equal(r4(test.hr10), "0.0410");
  assert.equal(r4(test.ndcg10), "0.0188");
  assert.equal(r4(test.hr20), "0.0705");
  assert.equal(test.users, 610);
});
