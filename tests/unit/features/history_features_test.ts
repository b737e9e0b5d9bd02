/** History encoding: one CSR row per bag over item indices, recency weights, prefixes and the growing builder. */
import assert from "node:assert/strict";
import {
  CsrBuilder,
  DEFAULT_FEATURES,
  encodeHistory,
  type FeatureSpec,
  maxNonZeros,
  validateFeatureSpec,
} from "../../../src/features/history_features.ts";

const spec: FeatureSpec = { bags: [{ kind: "recent", tau: 1 }, { kind: "all" }] };

function encode(history: number[], options: { length?: number; features?: FeatureSpec } = {}) {
  const out = new CsrBuilder();
  encodeHistory(history, options.features ?? spec, { out, length: options.length });
  return out.build();
}

// Row r's (index, weight) pairs.
function row(csr: ReturnType<typeof encode>, r: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let j = csr.offsets[r]; j < csr.offsets[r + 1]; j++) {
    pairs.push([csr.indices[j], csr.values[j]]);
  }
  return pairs;
}

const sum = (xs: [number, number][]) => xs.reduce((a, [, w]) => a + w, 0);

Deno.test("encodeHistory() appends one row per bag whose weights sum to 1, the newest movie weighted most", () => {
  const csr = encode([3, 7, 5]);
  assert.equal(csr.offsets.length, 3, "two bags → two rows");
  const [recent, all] = [row(csr, 0), row(csr, 1)];
  assert.ok(Math.abs(sum(recent) - 1) < 1e-6);
  assert.ok(Math.abs(sum(all) - 1) < 1e-6);
  assert.deepEqual(recent.map(([i]) => i), [5, 7, 3], "newest first, as plain item indices");
  assert.ok(recent[0][1] > recent[1][1] && recent[1][1] > recent[2][1]);
  // exp(−d/τ) with τ = 1, normalised.
  const z = 1 + Math.exp(-1) + Math.exp(-2);
  assert.ok(Math.abs(recent[1][1] - Math.exp(-1) / z) < 1e-6);
  assert.deepEqual(all.map(([i]) => i).sort(), [3, 5, 7]);
  for (const [, w] of all) assert.ok(Math.abs(w - 1 / 3) < 1e-6);
});

Deno.test("encodeHistory() keeps indices as item ids: no per-bag offset, every bag over the same items", () => {
  const csr = encode([0, 9, 4], { features: DEFAULT_FEATURES });
  assert.equal(csr.offsets.length, DEFAULT_FEATURES.bags.length + 1);
  for (let r = 0; r < DEFAULT_FEATURES.bags.length; r++) {
    for (const [i] of row(csr, r)) assert.ok([0, 9, 4].includes(i), `bag ${r} index ${i}`);
  }
});

Deno.test("encodeHistory() with a length encodes only that prefix, never a later movie", () => {
  const csr = encode([3, 7, 5, 9], { length: 2 });
  assert.deepEqual(row(csr, 0).map(([i]) => i), [7, 3]);
  assert.deepEqual(row(csr, 1).map(([i]) => i).sort(), [3, 7]);
  assert.ok(Math.abs(sum(row(csr, 0)) - 1) < 1e-6);
});

Deno.test("encodeHistory() gives an empty history empty rows and still closes them", () => {
  const out = new CsrBuilder();
  encodeHistory([], spec, { out });
  encodeHistory([1], spec, { out });
  encodeHistory([4, 2, 8], spec, { out, length: 0 });
  const built = out.build();
  assert.deepEqual([...built.offsets], [0, 0, 0, 1, 2, 2, 2]);
  assert.equal(out.rows, 6);
  assert.deepEqual([...built.indices], [1, 1]);
  assert.deepEqual([...built.values], [1, 1]);
});

Deno.test("a recency bag only looks back ⌈5τ⌉ movies and an all bag its last max movies", () => {
  const history = Array.from({ length: 40 }, (_, i) => i);
  const tau2 = encode(history, { features: { bags: [{ kind: "recent", tau: 2 }] } });
  assert.equal(tau2.indices.length, 10);
  assert.deepEqual([...tau2.indices], [39, 38, 37, 36, 35, 34, 33, 32, 31, 30]);
  const frac = encode(history, { features: { bags: [{ kind: "recent", tau: 1.3 }] } });
  assert.equal(frac.indices.length, 7, "⌈6.5⌉");
  const capped = encode(history, { features: { bags: [{ kind: "all", max: 15 }] } });
  assert.deepEqual([...capped.indices].sort((a, b) => a - b), history.slice(25));
  for (const w of capped.values) assert.ok(Math.abs(w - 1 / 15) < 1e-6);
  assert.equal(maxNonZeros({ bags: [{ kind: "recent", tau: 2 }, { kind: "all" }] }, 40), 50);
  assert.equal(
    maxNonZeros({ bags: [{ kind: "recent", tau: 2 }, { kind: "all", max: 15 }] }, 6),
    12,
  );
  assert.equal(maxNonZeros(DEFAULT_FEATURES, 300), 5 + 25 + 125 + 200);
});

Deno.test("CsrBuilder grows past its initial buffers without corrupting earlier rows", () => {
  const out = new CsrBuilder();
  const [rows0, nnz0] = [out.offsets.length, out.indices.length];
  const histories = Array.from(
    { length: 300 },
    (_, u) => Array.from({ length: 1 + (u % 37) }, (_, i) => (u * 31 + i * 7) % 1000),
  );
  for (const h of histories) encodeHistory(h, spec, { out });
  assert.equal(out.rows, 2 * histories.length);
  assert.ok(out.offsets.length > rows0 && out.indices.length > nnz0, "both buffers grew");
  const all = out.build();
  histories.forEach((h, u) => {
    const one = encode(h);
    const base = all.offsets[2 * u];
    for (let r = 0; r < 2; r++) {
      assert.equal(all.offsets[2 * u + r + 1] - base, one.offsets[r + 1], `history ${u} row ${r}`);
    }
    const n = one.indices.length;
    assert.deepEqual(all.indices.subarray(base, base + n), one.indices, `history ${u} indices`);
    assert.deepEqual(all.values.subarray(base, base + n), one.values, `history ${u} values`);
  });
});

Deno.test("CsrBuilder view() shares its buffers, build() copies them, clear() empties it for reuse", () => {
  const out = new CsrBuilder();
  encodeHistory([1, 2], spec, { out });
  const view = out.view();
  const built = out.build();
  assert.deepEqual([...view.offsets], [0, 2, 4]);
  assert.equal(view.indices.buffer, out.indices.buffer);
  assert.notEqual(built.indices.buffer, out.indices.buffer);
  out.clear();
  assert.equal(out.rows, 0);
  assert.equal(out.nnz, 0);
  encodeHistory([5], spec, { out });
  assert.deepEqual([...out.build().indices], [5, 5]);
  assert.deepEqual([...built.indices], [2, 1, 2, 1], "a built copy keeps its rows");
  assert.equal(view.indices[0], 5, "a view sees later writes");
});

Deno.test("validateFeatureSpec() names a bad bag", () => {
  assert.throws(() => validateFeatureSpec({ bags: [{ kind: "recent", tau: 0 }] }), /tau>0/);
  assert.throws(
    () => validateFeatureSpec({ bags: [{ kind: "all", max: 1.5 }] }),
    /max\?:integer>0/,
  );
  assert.throws(() => validateFeatureSpec({ bags: [] }), /non-empty/);
  assert.equal(validateFeatureSpec(DEFAULT_FEATURES), DEFAULT_FEATURES);
});
