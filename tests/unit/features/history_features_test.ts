import assert from "node:assert/strict";
import {
  CsrBuilder,
  encodeHistory,
  type FeatureSpec,
  inputWidth,
  maxNonZeros,
  validateFeatureSpec,
} from "../../../src/features/history_features.ts";

const spec: FeatureSpec = { bags: [{ kind: "recent", tau: 1 }, { kind: "all" }] };

function encode(history: number[], options: { V: number; length?: number }) {
  const out = new CsrBuilder();
  encodeHistory(history, spec, { ...options, out });
  return out.build();
}

Deno.test("encodeHistory() gives each bag weights that sum to 1, most recent movie weighted most", () => {
  const V = 10;
  const row = encode([3, 7, 5], { V });
  const recent = [...row.indices].map((i, k) => [i, row.values[k]] as const).filter(([i]) => i < V);
  const all = [...row.indices].map((i, k) => [i, row.values[k]] as const).filter(([i]) => i >= V);
  const sum = (xs: (readonly [number, number])[]) => xs.reduce((a, [, w]) => a + w, 0);
  assert.ok(Math.abs(sum(recent) - 1) < 1e-6);
  assert.ok(Math.abs(sum(all) - 1) < 1e-6);
  assert.equal(recent[0][0], 5, "the first recency entry is the newest movie");
  assert.ok(recent[0][1] > recent[1][1] && recent[1][1] > recent[2][1]);
  assert.deepEqual(all.map(([i]) => i - V).sort(), [3, 5, 7]);
  for (const [, w] of all) assert.ok(Math.abs(w - 1 / 3) < 1e-6);
});

Deno.test("encodeHistory() with a length encodes only that prefix, never a later movie", () => {
  const row = encode([3, 7, 5, 9], { V: 10, length: 2 });
  const movies = new Set([...row.indices].map((i) => i % 10));
  assert.deepEqual([...movies].sort(), [3, 7]);
});

Deno.test("encodeHistory() gives an empty history an empty row and still closes it", () => {
  const out = new CsrBuilder();
  encodeHistory([], spec, { V: 10, out });
  encodeHistory([1], spec, { V: 10, out });
  const built = out.build();
  assert.deepEqual([...built.offsets], [0, 0, 2]);
});

Deno.test("a recency bag only looks back ⌈5τ⌉ movies", () => {
  const history = Array.from({ length: 40 }, (_, i) => i);
  const out = new CsrBuilder();
  encodeHistory(history, { bags: [{ kind: "recent", tau: 2 }] }, { V: 40, out });
  assert.equal(out.indices.length, 10);
  assert.equal(maxNonZeros({ bags: [{ kind: "recent", tau: 2 }, { kind: "all" }] }, 40), 50);
  assert.equal(inputWidth(spec, 100), 200);
});

Deno.test("validateFeatureSpec() names a bad bag", () => {
  assert.throws(() => validateFeatureSpec({ bags: [{ kind: "recent", tau: 0 }] }), /tau>0/);
  assert.throws(() => validateFeatureSpec({ bags: [] }), /non-empty/);
});
