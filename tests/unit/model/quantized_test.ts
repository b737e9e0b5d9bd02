/** The int8 serving ops (quantizeTableQ8, scoreTopQ8) against the float64 reference and the full float32 path. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { Net } from "../../../src/model/network/net.ts";
import {
  CsrBuilder,
  DEFAULT_FEATURES,
  encodeHistory,
} from "../../../src/features/history_features.ts";
import * as ref from "../../reference/quantized.ts";
import { rand, randArray } from "./helpers.ts";

const kernel = await Kernel.create({ threads: 1 });

type Case = {
  B: number;
  V: number;
  K: number;
  k: number;
  C: number;
  u: Float32Array;
  table: Float32Array;
  bias: Float32Array;
  exclude?: number[][];
  allow?: (Uint8Array | undefined)[];
  /** A per-item term added after the output layer (B×V), as the transition term is. */
  addend?: Float32Array;
};

// Copies a case into kernel memory, packs the table and runs scoreTopQ8 on `on` (split or serial).
function score(c: Case, on = kernel, serial = true) {
  const { B, V, K, k, C } = c;
  const [Kp, Vp] = [on.run("q8Width", { K }), on.run("q8Items", { V })];
  const at = (bytes: number) => on.alloc(Math.max(64, bytes));
  const p = {
    packed: at(Vp * Kp),
    meta: at(16 * Vp),
    table: at(4 * V * K),
    bias: at(4 * V),
    u: at(4 * B * K),
    scores: at(4 * B * V),
    cand: at(8 * B * C),
    qrows: at(B * (Kp + 16)),
    outIdx: at(4 * B * k),
    outScore: at(4 * B * k),
    counts: at(4 * B),
    exOffsets: at(4 * (B + 1)),
  };
  on.f32(p.table, V * K).set(c.table);
  on.f32(p.bias, V).set(c.bias);
  on.f32(p.u, B * K).set(c.u);
  const ex = c.exclude ?? Array.from({ length: B }, () => []);
  const offsets = [0];
  for (const e of ex) offsets.push(offsets[offsets.length - 1] + e.length);
  const exclude = at(4 * offsets[B]);
  on.i32(exclude, offsets[B]).set(ex.flat());
  on.i32(p.exOffsets, B + 1).set(offsets);
  let allow = 0;
  if (c.allow) {
    allow = at(B * V);
    c.allow.forEach((m, b) => on.u8(allow, B * V).set(m ?? new Uint8Array(V).fill(1), b * V));
  }
  let addend = 0;
  if (c.addend) {
    addend = at(4 * B * V);
    on.f32(addend, B * V).set(c.addend);
  }
  on.run("quantizeTableQ8", { packed: p.packed, meta: p.meta, table: p.table, bias: p.bias, V, K });
  const args = { ...p, exclude, allow, addend, V, K, k, C, B };
  const full = serial ? on.run("scoreTopQ8", args) : on.split("scoreTopQ8", args, { chunk: 2 });
  return {
    full,
    ids: on.i32(p.outIdx, B * k).slice(),
    scores: on.f32(p.outScore, B * k).slice(),
    counts: on.i32(p.counts, B).slice(),
    bounds: on.f32(p.scores, B * V).slice(),
    packed: on.u8(p.packed, Vp * Kp).slice(),
    meta: { f32: on.f32(p.meta, 4 * Vp).slice(), i32: on.i32(p.meta, 4 * Vp).slice() },
    p,
  };
}

function randomCase(seed: number, B: number, V: number, K: number, k: number, C: number): Case {
  const r = rand(seed);
  return {
    B,
    V,
    K,
    k,
    C,
    u: randArray(B * K, r),
    table: randArray(V * K, r, 0.5),
    bias: randArray(V, r, 0.3),
  };
}

// The answer row b of `got` must be the float64 reference's top-k, scores within float error.
function assertExact(c: Case, got: ReturnType<typeof score>, label: string): void {
  const exact = ref.rowScores(c.u, c.table, c.bias, c.B, c.V, c.K);
  c.addend?.forEach((a, i) => exact[i] += a);
  for (let b = 0; b < c.B; b++) {
    const want = ref.topKOf(
      exact.subarray(b * c.V, (b + 1) * c.V),
      c.k,
      c.exclude?.[b],
      c.allow?.[b],
    );
    const n = got.counts[b];
    const ids = Array.from(got.ids.subarray(b * c.k, b * c.k + n));
    assert.deepEqual(ids, want, `${label} row ${b}`);
    ids.forEach((v, j) => {
      const d = Math.abs(got.scores[b * c.k + j] - exact[b * c.V + v]);
      assert.ok(d < 1e-4, `${label} row ${b} item ${v}: score off by ${d}`);
    });
  }
}

Deno.test("quantizeTableQ8 packs each item row as int8 within half a step, with its scale, sum, L1 and bias", () => {
  for (const [V, K] of [[13, 7], [203, 128], [8, 4]]) {
    const c = randomCase(V + K, 1, V, K, 1, 1);
    c.table.fill(0, 2 * K, 3 * K); // an all-zero row: scale 0, q 0
    const { packed, meta } = score(c);
    const [Kp, Vp] = [(K + 3) & ~3, (V + 7) & ~7];
    for (let v = 0; v < Vp; v++) {
      const q = Array.from(
        { length: Kp },
        (_, j) =>
          (packed[
            (v >> 3) * 8 * Kp + (j >> 2) * 32 + ((v & 7) >> 2) * 16 + (v & 3) * 4 + (j & 3)
          ] <<
            24) >> 24,
      );
      if (v >= V) {
        assert.ok(q.every((x) => x === 0) && meta.f32[v] === 0, `padding item ${v} is zero`);
        continue;
      }
      const row = c.table.subarray(v * K, (v + 1) * K);
      const want = ref.quantizeRow(row);
      const s = meta.f32[v];
      assert.ok(Math.abs(s - want.scale) <= 1e-6 * want.scale, `scale of ${V}x${K} item ${v}`);
      row.forEach((x, j) => {
        assert.ok(Math.abs(x - s * q[j]) <= (s / 2) * (1 + 1e-5), `item ${v} feature ${j}`);
        assert.ok(
          Math.abs(q[j] - want.q[j]) <= 1,
          `item ${v} feature ${j} rounds like the reference`,
        );
      });
      assert.ok(q.slice(K).every((x) => x === 0), "feature padding is zero");
      assert.equal(meta.i32[Vp + v], q.reduce((a, b) => a + b, 0), `sum of item ${v}`);
      const l1 = Array.from(row, Math.abs).reduce((a, b) => a + b, 0);
      assert.ok(meta.f32[2 * Vp + v] >= l1 * (1 - 1e-6), `L1 of item ${v} is not below Σ|O|`);
      assert.equal(meta.f32[3 * Vp + v], c.bias[v], `bias of item ${v}`);
    }
  }
});

Deno.test("scoreTopQ8 gives the exact top-k for every shape, with exclusions and allow masks", () => {
  const shapes: [number, number, number, number, number][] = [
    [1, 203, 7, 5, 16],
    [3, 203, 13, 1, 8],
    [4, 1000, 128, 17, 48],
    [5, 1000, 64, 10, 48],
    [9, 333, 36, 10, 512],
    // ≥ C chunks of 64 items: the selection gathers above the chunk-maxima floor.
    [6, 4000, 32, 10, 16],
  ];
  for (const [B, V, K, k, C] of shapes) {
    const c = randomCase(B * V + K, B, V, K, k, C);
    c.exclude = Array.from({ length: B }, (_, b) => (b % 2 ? [0, 5, 5, V + 3, -1] : []));
    c.allow = Array.from(
      { length: B },
      (_, b) => b === 1 ? Uint8Array.from({ length: V }, (_, i) => i % 3 ? 1 : 0) : undefined,
    );
    assertExact(c, score(c), `${B}x${V}x${K} k ${k} C ${C}`);
  }
});

// The float32 path on the same case: logits from denseForwardRows (the same dot products in the
// same order), the added term if any (one float32 addition per item, as Recommender adds it), then
// topKRows. Returns its ids and scores.
function logitsTopK(c: Case, p: ReturnType<typeof score>["p"]) {
  const { B, V, K, k } = c;
  const logits = kernel.alloc(4 * B * V);
  kernel.run("denseForwardRows", {
    out: logits,
    inp: p.u,
    weightRows: p.table,
    bias: p.bias,
    B,
    IN: K,
    OUT: V,
  });
  if (c.addend) {
    const l = kernel.f32(logits, B * V);
    for (let i = 0; i < B * V; i++) l[i] += c.addend[i];
  }
  kernel.run("topKRows", {
    outIdx: p.outIdx,
    outScore: p.outScore,
    counts: p.counts,
    scores: logits,
    exclude: 0,
    exOffsets: p.exOffsets,
    allow: 0,
    N: V,
    k,
    B,
  });
  return {
    ids: kernel.i32(p.outIdx, B * k).slice(),
    scores: kernel.f32(p.outScore, B * k).slice(),
  };
}

Deno.test("scoreTopQ8 answers exactly what the float32 logits (denseForwardRows) and topKRows answer", () => {
  const c = randomCase(7, 6, 500, 128, 10, 48);
  const got = score(c);
  const want = logitsTopK(c, got.p);
  assert.deepEqual(got.ids, want.ids);
  // The same float32 dot products in the same order: equal to the bit.
  assert.deepEqual(got.scores, want.scores);
  assert.equal(got.full, 0, "random rows are certified from 48 candidates");
});

Deno.test("scoreTopQ8's bounds are never below an exact score and within the quantisation error", () => {
  const c = randomCase(11, 3, 400, 128, 10, 64);
  const got = score(c);
  assert.equal(got.full, 0);
  const exact = ref.rowScores(c.u, c.table, c.bias, c.B, c.V, c.K);
  for (let b = 0; b < c.B; b++) {
    for (let v = 0; v < c.V; v++) {
      const [ub, e] = [got.bounds[b * c.V + v], exact[b * c.V + v]];
      const err = ref.quantisationError(
        c.u.subarray(b * c.K, (b + 1) * c.K),
        c.table.subarray(v * c.K, (v + 1) * c.K),
      );
      assert.ok(ub >= e, `row ${b} item ${v}: bound ${ub} below the score ${e}`);
      assert.ok(
        ub - e <= 2 * err + 1e-3,
        `row ${b} item ${v}: bound ${ub - e} above, error ${err}`,
      );
    }
  }
});

Deno.test("scoreTopQ8 scores a row in full when int8 cannot separate its items, and stays exact", () => {
  // Items that differ by far less than an int8 step: every bound overlaps the k-th score.
  const [B, V, K, k] = [2, 64, 32, 5];
  const r = rand(5);
  const base = randArray(K, r);
  const table = new Float32Array(V * K);
  for (let v = 0; v < V; v++) {
    for (let j = 0; j < K; j++) table[v * K + j] = base[j] * (1 + 1e-4 * ((v * 7 + j) % 13));
  }
  const c: Case = { B, V, K, k, C: 8, u: randArray(B * K, r), table, bias: new Float32Array(V) };
  const got = score(c);
  assert.equal(got.full, B, "both rows fell back to full scoring");
  assertExact(c, got, "near-identical items");
});

Deno.test("scoreTopQ8 returns nothing for a row whose input is not finite, as the logits path does", () => {
  const c = randomCase(3, 3, 100, 16, 4, 16);
  c.u[16 + 3] = NaN;
  const got = score(c);
  assert.deepEqual(Array.from(got.counts), [4, 0, 4]);
  assert.equal(got.full, 1);
});

Deno.test("scoreTopQ8 split over two threads answers as one thread does", async () => {
  const two = await Kernel.create({ threads: 2 });
  try {
    const c = randomCase(9, 11, 300, 64, 10, 48);
    const a = score(c), b = score(c, two, false);
    assert.deepEqual(b.ids, a.ids);
    assert.deepEqual(b.scores, a.scores);
    assertExact(c, b, "two threads");
  } finally {
    two.close();
  }
});

Deno.test("Net.rankRows() equals the logits' topKRows, also after the output table is written", () => {
  const net = Net.create(kernel, {
    input: { kind: "bags", bags: 4, dim: 12 },
    hidden: [16],
    projection: 12,
    tied: true,
    output: 700,
    batchSize: 8,
    training: false,
    seed: 4,
  });
  // (An empty history would score every movie by its bias alone: all ties, so scored in full.)
  const histories = [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10, 699]];
  const csr = new CsrBuilder();
  for (const h of histories) encodeHistory(h, DEFAULT_FEATURES, { out: csr });
  const batch = csr.build();
  // Well-separated scores: a random table of unit scale rather than the small initial one.
  net.view("p:E").set(randArray(700 * 12, rand(8)));
  const check = (label: string) => {
    net.predict(batch);
    const want = net.topKRows(10, { exclude: histories });
    const got = net.rankRows(batch, 10, { exclude: histories });
    assert.deepEqual(got.ids, want.ids, label);
    assert.deepEqual(got.counts, want.counts, label);
    // Fresh bounds certify every row; stale ones (an old int8 copy) would send rows to full scoring.
    assert.equal(got.fullRows, 0, label);
  };
  check("as initialised");
  // Reverse the table's rows: every score moves, so a stale int8 copy would rank wrongly.
  const E = net.view("p:E");
  const rows = Array.from({ length: 700 }, (_, v) => E.slice(v * 12, (v + 1) * 12));
  rows.reverse().forEach((r, v) => E.set(r, v * 12));
  check("after writing p:E");
  assert.throws(() => net.rankRows(batch, 129, { exclude: histories }), /1\.\.128/);
});

// A sparse non-negative term like the transition term's: a few items per row, some raised from
// the middle of the ranking into its top, the rest untouched (0).
function sparseTerm(B: number, V: number, seed: number): Float32Array {
  const r = rand(seed);
  const add = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < 40; n++) add[b * V + Math.floor(r() * V)] = Math.fround(3 * r());
  }
  return add;
}

Deno.test("scoreTopQ8 with an added term gives the exact top-k of scores + term, raised items included", () => {
  for (
    const [B, V, K, k, C] of [[5, 1000, 64, 10, 48], [6, 4000, 32, 10, 16], [1, 203, 7, 5, 16]]
  ) {
    const c = randomCase(B + V, B, V, K, k, C);
    c.addend = sparseTerm(B, V, B * 31);
    c.exclude = Array.from({ length: B }, (_, b) => (b % 2 ? [0, 5] : []));
    const got = score(c);
    assertExact(c, got, `${B}x${V}x${K} with a term`);
    // The term matters: without it the answers differ.
    const plain = score({ ...c, addend: undefined });
    assert.notDeepEqual(plain.ids, got.ids, `${B}x${V}: the term changes the top-${k}`);
    // Bounds still bound: every bound is at least its exact score + term.
    const exact = ref.rowScores(c.u, c.table, c.bias, B, V, K);
    for (let i = 0; i < B * V; i++) {
      if (got.bounds[i] === -Infinity) continue;
      assert.ok(got.bounds[i] >= exact[i] + c.addend[i] - 1e-4, `bound ${i} below its score`);
    }
  }
});

Deno.test("scoreTopQ8 with a term answers to the bit what the logits + term and topKRows answer", () => {
  const c = randomCase(21, 6, 500, 128, 10, 48);
  c.addend = sparseTerm(6, 500, 5);
  const got = score(c);
  const want = logitsTopK(c, got.p);
  assert.deepEqual(got.ids, want.ids);
  assert.deepEqual(got.scores, want.scores);
  assert.equal(got.full, 0, "the term keeps rows certified");
});
