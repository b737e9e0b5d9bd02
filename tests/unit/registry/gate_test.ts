/** The promotion rule and rollback's history replay, as pure functions. */
import assert from "node:assert/strict";
import { decidePromotion, rollbackTarget } from "../../../src/registry/gate.ts";
import type { AliasChange } from "../../../src/registry/store.ts";

const v = (
  version: number,
  val?: number,
): { version: number; metrics: Record<string, number> } => ({
  version,
  metrics: val === undefined ? {} : { val_ndcg10: val },
});
const metric = "val_ndcg10";

Deno.test("decidePromotion() promotes only a strictly higher validation NDCG@10", () => {
  assert.equal(decidePromotion(v(2, 0.051), { metric, production: v(1, 0.05) }).promoted, true);
  assert.equal(decidePromotion(v(2, 0.05), { metric, production: v(1, 0.05) }).promoted, false);
  assert.equal(decidePromotion(v(2, 0.049), { metric, production: v(1, 0.05) }).promoted, false);
  assert.equal(decidePromotion(v(1, 0.001), { metric, production: null }).promoted, true);
});

Deno.test("decidePromotion() never promotes a candidate without a finite metric", () => {
  const nan = decidePromotion({ version: 3, metrics: { val_ndcg10: NaN } }, {
    metric,
    production: null,
  });
  assert.equal(nan.promoted, false);
  assert.equal(nan.candidateValue, null);
  assert.match(nan.reason, /version 3 has no finite val_ndcg10 \(got NaN\)/);
  assert.equal(decidePromotion(v(3), { metric, production: v(1, 0.05) }).promoted, false);
});

Deno.test("decidePromotion() lets a measured candidate replace an unmeasured production version", () => {
  const d = decidePromotion(v(2, 0.01), { metric, production: v(1) });
  assert.deepEqual([d.promoted, d.productionValue], [true, null]);
  assert.equal(
    decidePromotion(v(1, 0.2), { metric, production: v(1, 0.2) }).reason,
    "version 1 is already production",
  );
});

function history(moves: Array<[number | null, AliasChange["kind"]]>): AliasChange[] {
  return moves.map(([to, kind], i) => ({
    id: i + 1,
    model: "m",
    alias: "production",
    fromVersion: null,
    toVersion: to,
    kind,
    reason: "",
    changedAt: new Date(0),
  }));
}

Deno.test("rollbackTarget() goes back one promotion per rollback instead of flipping", () => {
  assert.equal(rollbackTarget(history([[1, "gate"], [2, "gate"], [3, "promote"]])), 2);
  assert.equal(
    rollbackTarget(history([[1, "gate"], [2, "gate"], [3, "promote"], [2, "rollback"]])),
    1,
  );
  assert.equal(rollbackTarget(history([[1, "gate"], [2, "gate"], [1, "rollback"]])), null);
  assert.equal(
    rollbackTarget(history([[1, "gate"], [2, "gate"], [1, "rollback"], [4, "gate"]])),
    1,
  );
  assert.equal(rollbackTarget(history([[1, "gate"], [null, "set"], [2, "set"]])), null);
  assert.equal(rollbackTarget([]), null);
});

Deno.test("the coverage guard keeps production when a better NDCG@10 loses more coverage than the tolerance, and records its check", () => {
  const m = (
    version: number,
    ndcg: number,
    coverage?: number,
  ): { version: number; metrics: Record<string, number> } => ({
    version,
    metrics: coverage === undefined
      ? { val_ndcg10: ndcg }
      : { val_ndcg10: ndcg, val_coverage10: coverage },
  });
  const coverage = { tolerance: 0.02 };
  const drop = decidePromotion(m(2, 0.06, 0.10), {
    metric,
    production: m(1, 0.05, 0.13),
    coverage,
  });
  assert.equal(drop.promoted, false);
  assert.deepEqual(drop.guard, {
    metric: "val_coverage10",
    tolerance: 0.02,
    candidateValue: 0.10,
    productionValue: 0.13,
    passed: false,
  });
  assert.match(
    drop.reason,
    /beats .* but its val_coverage10 0\.1 drops more than 0\.02 below production's 0\.13/,
  );
  const within = decidePromotion(m(2, 0.06, 0.115), {
    metric,
    production: m(1, 0.05, 0.13),
    coverage,
  });
  assert.equal(within.promoted, true);
  assert.equal(within.guard?.passed, true);
  // Without a guard the same candidate wins and nothing is recorded.
  const off = decidePromotion(m(2, 0.06, 0.10), { metric, production: m(1, 0.05, 0.13) });
  assert.deepEqual([off.promoted, off.guard], [true, null]);
  // A candidate without the figure cannot pass; a production version without it is not compared.
  assert.equal(
    decidePromotion(m(2, 0.06), { metric, production: m(1, 0.05, 0.13), coverage }).promoted,
    false,
  );
  const old = decidePromotion(m(2, 0.06, 0.01), { metric, production: m(1, 0.05), coverage });
  assert.deepEqual([old.promoted, old.guard?.passed], [true, true]);
  // The guard never rescues a candidate that lost on the gate's metric.
  const lost = decidePromotion(m(2, 0.04, 0.5), { metric, production: m(1, 0.05, 0.13), coverage });
  assert.deepEqual([lost.promoted, lost.guard], [false, null]);
});
