/** The item-item families' kernel ops and blocked routines against the float64 references in tests/reference/linalg.ts. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import {
  type BinaryCsr,
  binaryCsr,
  csrToKernel,
  transposeCsr,
} from "../../../src/model/families/csr.ts";
import {
  allocPanels,
  BLOCK,
  cholesky,
  INIT_ACC,
  inverseFromCholesky,
  triangularInverse,
} from "../../../src/model/families/linalg.ts";
import * as ref from "../../reference/linalg.ts";
import { assertClose } from "../../reference/compare.ts";
import { Arena, rand, randArray } from "./helpers.ts";

const kernel = await Kernel.create({ threads: 1 });
const a = new Arena(kernel);

/** A seeded binary users × items matrix with about `density` of the cells set. */
function randomBinary(users: number, items: number, density: number, seed: number): BinaryCsr {
  const r = rand(seed);
  const lists = Array.from({ length: users }, () => {
    const row: number[] = [];
    for (let i = 0; i < items; i++) if ((r() + 1) / 2 < density) row.push(i);
    return row;
  });
  return binaryCsr(lists, items);
}

/** The lower triangle of a row-major n × n matrix (zeros above). */
function lower(m: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[i * n + j] = m[i * n + j];
  return out;
}

Deno.test("the comparison used below fails on a matrix that is off by one entry (the checks can fail)", () => {
  const x = randomBinary(9, 7, 0.4, 1);
  const g = ref.gram(x, 2);
  const wrong = Float32Array.from(g);
  wrong[10] += 0.01;
  assert.throws(() => assertClose("gram", wrong, g, { atol: 1e-4 }), /1 of 49 values differ/);
});

Deno.test("gramBinary computes XᵀX + shift·I and XXᵀ, whole or a block of rows at a time", () => {
  const x = randomBinary(23, 37, 0.3, 2);
  const xt = transposeCsr(x);
  const [kx, kxt] = [csrToKernel(kernel, x), csrToKernel(kernel, xt)];
  const n = x.cols;
  const out = a.f32(n * n);
  const args = {
    out,
    outerOffsets: kxt.offsets,
    outerIdx: kxt.indices,
    innerOffsets: kx.offsets,
    innerIdx: kx.indices,
    N: n,
    base: 0,
    shift: 3.5,
    rows: n,
  };
  kernel.run("gramBinary", args);
  assertClose("XᵀX + 3.5I", a.read(out, n * n), ref.gram(x, 3.5), { atol: 0 });
  // Rows 10..16 into a 7-row buffer, in two thread-sized ranges.
  const block = a.f32(7 * n);
  kernel.run("gramBinary", { ...args, out: block, base: 10, rows: 7 }, [0, 3]);
  kernel.run("gramBinary", { ...args, out: block, base: 10, rows: 7 }, [3, 7]);
  assertClose("rows 10..16", a.read(block, 7 * n), ref.gram(x, 3.5).subarray(10 * n, 17 * n), {
    atol: 0,
  });
  const u = x.rows;
  const users = a.f32(u * u);
  kernel.run("gramBinary", {
    ...args,
    out: users,
    outerOffsets: kx.offsets,
    outerIdx: kx.indices,
    innerOffsets: kxt.offsets,
    innerIdx: kxt.indices,
    N: u,
    shift: 0,
    rows: u,
  });
  assertClose("XXᵀ", a.read(users, u * u), ref.gram(xt), { atol: 0 });
});

Deno.test("choleskyBlock factors a block in place, zeroes what lies above it, and names the column where a matrix is not positive definite", () => {
  const x = randomBinary(30, 20, 0.3, 3);
  const n = 20;
  const g = ref.gram(x, 1);
  const pa = a.f32(g);
  assert.equal(kernel.run("choleskyBlock", { a: pa, lda: n, j0: 0, jb: n, n }), 0);
  assertClose("L", a.read(pa, n * n), ref.cholesky(g, n), { atol: 1e-5 });
  const bad = Float32Array.from(g);
  bad[5 * n + 5] = -1;
  const pb = a.f32(bad);
  assert.equal(kernel.run("choleskyBlock", { a: pb, lda: n, j0: 0, jb: n, n }), 6);
});

Deno.test("lowerInverse writes the scaled inverse of a diagonal block, or its transpose", () => {
  const n = 13;
  const g = ref.gram(randomBinary(40, n, 0.3, 4), 2);
  const l = ref.cholesky(g, n);
  const pl = a.f32(l);
  const inv = ref.lowerInverse(l, n);
  const w = a.f32(n * n);
  kernel.run("lowerInverse", { w, a: pl, lda: n, j0: 0, jb: n, scale: -2, transposed: 0 });
  assertClose("−2·L⁻¹", a.read(w, n * n), inv.map((v) => -2 * v), { atol: 1e-5 });
  kernel.run("lowerInverse", { w, a: pl, lda: n, j0: 0, jb: n, scale: 1, transposed: 1 });
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = inv[i * n + j];
  assertClose("L⁻ᵀ", a.read(w, n * n), t, { atol: 1e-5 });
});

Deno.test("gemmRows, gemmCols, trmmLower and scaleCopy compute their products over thread-sized ranges", () => {
  const r = rand(5);
  const [M, K, N] = [19, 11, 23];
  const A = randArray(M * K, r), B = randArray(K * N, r);
  const [pA, pB, pC] = [a.f32(A), a.f32(B), a.f32(M * N)];
  const expected = ref.matmul(A, B, M, K, N);
  const args = { c: pC, ldc: N, a: pA, sAi: K, sAp: 1, b: pB, sBk: N, sBn: 1, M, K, N, init: 0 };
  kernel.run("gemmRows", args, [0, 7]);
  kernel.run("gemmRows", args, [7, M]);
  assertClose("gemmRows", a.read(pC, M * N), expected, { atol: 1e-4 });
  kernel.run("fill", { dst: pC, value: 0, n: M * N });
  kernel.run("gemmCols", args, [0, 16]);
  kernel.run("gemmCols", args, [16, N]);
  assertClose("gemmCols", a.read(pC, M * N), expected, { atol: 1e-4 });
  // Lower-triangular T (M × M, zero above) times X (M × N).
  const T = randArray(M * M, r).map((v, i) => (i % M > Math.floor(i / M) ? 0 : v));
  const X = randArray(M * N, r);
  const [pT, pX] = [a.f32(T), a.f32(X)];
  const targs = { c: pC, ldc: N, t: pT, ldt: M, x: pX, ldx: N, cols: N, rows: M };
  kernel.run("trmmLower", targs, [0, 6]);
  kernel.run("trmmLower", targs, [6, M]);
  assertClose("trmmLower", a.read(pC, M * N), ref.matmul(T, X, M, M, N), { atol: 1e-4 });
  const copy = a.f32(M * 30);
  kernel.run("scaleCopy", { dst: copy, ldd: 30, src: pX, lds: N, cols: 5, scale: -3, rows: M });
  const got = a.read(copy, M * 30);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < 5; j++) assert.equal(got[i * 30 + j], Math.fround(-3 * X[i * N + j]));
    assert.equal(got[i * 30 + 5], 0);
  }
});

Deno.test("syrkLower accumulates the lower triangle of A·Bᵀ by column blocks", () => {
  const r = rand(6);
  const [N, K] = [29, 9];
  const A = randArray(N * K, r), B = randArray(N * K, r), C = randArray(N * N, r);
  const [pA, pB, pC] = [a.f32(A), a.f32(B), a.f32(C)];
  const args = { c: pC, ldc: N, a: pA, sa: K, b: pB, sb: K, K, N, init: INIT_ACC };
  kernel.run("syrkLower", args, [0, 8]);
  kernel.run("syrkLower", args, [8, 16]);
  kernel.run("syrkLower", args, [16, N]);
  const bt = new Float64Array(K * N);
  for (let i = 0; i < N; i++) for (let p = 0; p < K; p++) bt[p * N + i] = B[i * K + p];
  const expected = ref.matmul(A, bt, N, K, N).map((v, i) => v + C[i]);
  assertClose("lower(C + A·Bᵀ)", lower(a.read(pC, N * N), N), lower(expected, N), {
    atol: 1e-4,
  });
});

for (const n of [1, 7, BLOCK, BLOCK + 5, 2 * BLOCK + 37]) {
  Deno.test(`blocked Cholesky, triangular inverse and SPD inverse of a ${n} × ${n} Gram matrix match the reference`, () => {
    const x = randomBinary(Math.max(3, Math.round(n * 0.7)), n, 0.05, 7 + n);
    const g = ref.gram(x, 4);
    const panels = allocPanels(kernel, n);
    const pa = a.f32(g);
    cholesky(kernel, pa, n, panels);
    const l = ref.cholesky(g, n);
    assertClose(`L ${n}`, a.read(pa, n * n), l, { atol: 2e-5, rtol: 1e-3 });
    triangularInverse(kernel, pa, n, panels);
    assertClose(`L⁻¹ ${n}`, a.read(pa, n * n), ref.lowerInverse(l, n), { atol: 2e-5, rtol: 1e-3 });
    const pb = a.f32(g);
    cholesky(kernel, pb, n, panels);
    inverseFromCholesky(kernel, pb, n, panels);
    assertClose(`P ${n}`, lower(a.read(pb, n * n), n), lower(ref.inverseSpd(g, n), n), {
      atol: 2e-6,
      rtol: 1e-3,
    });
  });
}

Deno.test("cholesky() refuses a matrix that is not positive definite, naming the column", () => {
  const n = BLOCK + 3;
  const g = ref.gram(randomBinary(300, n, 0.1, 8), 1);
  g[(BLOCK + 1) * n + BLOCK + 1] = -5;
  assert.throws(
    () => cholesky(kernel, a.f32(g), n, allocPanels(kernel, n)),
    /not positive definite at column 194 of 195/,
  );
});

Deno.test("easeScales and easeWeights turn an inverse's lower triangle into EASE's B with a zero diagonal", () => {
  const x = randomBinary(40, 37, 0.2, 9);
  const n = x.cols;
  const p = ref.inverseSpd(ref.gram(x, 5), n);
  const pa = a.f32(lower(p, n));
  const scales = a.f32(n);
  kernel.run("easeScales", { scales, a: pa, lda: n, n, alpha: 1, beta: 0 });
  const tiles = Math.ceil(n / 16);
  kernel.run("easeWeights", { a: pa, lda: n, scales, n, tiles }, [0, 1]);
  kernel.run("easeWeights", { a: pa, lda: n, scales, n, tiles }, [1, tiles]);
  assertClose("B", a.read(pa, n * n), ref.easeWeights(x, 5), { atol: 1e-6, rtol: 1e-4 });
});

Deno.test("cosineTopK keeps each item's k most similar other items, ties by lower index", () => {
  const x = randomBinary(25, 31, 0.25, 10);
  const xt = transposeCsr(x);
  const [kx, kxt] = [csrToKernel(kernel, x), csrToKernel(kernel, xt)];
  const n = x.cols, k = 5;
  const g = ref.gram(x);
  const counts = a.f32(Array.from({ length: n }, (_, i) => g[i * n + i]));
  const [outIdx, outSim] = [a.i32(n * k), a.f32(n * k)];
  const block = a.f32(10 * n);
  for (let base = 0; base < n; base += 10) {
    const rows = Math.min(10, n - base);
    kernel.run("gramBinary", {
      out: block,
      outerOffsets: kxt.offsets,
      outerIdx: kxt.indices,
      innerOffsets: kx.offsets,
      innerIdx: kx.indices,
      N: n,
      base,
      shift: 0,
      rows,
    });
    kernel.run("cosineTopK", { outIdx, outSim, gram: block, counts, n, k, base, rows });
  }
  const e = ref.nearest(x, k);
  assertClose("similarities", a.read(outSim, n * k), e.sim, { atol: 1e-6 });
  // Equal similarities may be found in either float precision's order only when they tie.
  const idx = a.readI32(outIdx, n * k);
  for (let q = 0; q < n * k; q++) {
    if (idx[q] !== e.idx[q]) {
      assert.ok(Math.abs(e.sim[q] - ref.cosine(x)[Math.floor(q / k) * n + idx[q]]) < 1e-6);
    }
  }
});

Deno.test("sparseRowsForward adds the CSR weight rows of each history", () => {
  const r = rand(11);
  const n = 17;
  const w = new Float64Array(n * n).map(() => (r() > 0.5 ? r() : 0));
  const rows = Array.from(
    { length: n },
    (_, h) => Array.from({ length: n }, (_, j) => j).filter((j) => w[h * n + j] !== 0),
  );
  const csr = binaryCsr(rows, n);
  const vals = Float32Array.from(rows.flatMap((js, h) => js.map((j) => w[h * n + j])));
  const histories = [[0, 3, 3, 16], [], [5]];
  const hs = binaryCsr(histories, n);
  const flat = histories.flat();
  const offsets = [0, 4, 4, 5];
  const out = a.f32(3 * n);
  kernel.run("sparseRowsForward", {
    out,
    offsets: a.i32(offsets),
    indices: a.i32(flat),
    rowOffsets: a.i32(csr.offsets),
    rowCols: a.i32(csr.indices),
    rowVals: a.f32(vals),
    N: n,
    B: 3,
  });
  assert.equal(hs.rows, 3);
  const expected = new Float64Array(3 * n);
  histories.forEach((h, b) => expected.set(ref.scoreHistory(w, n, h), b * n));
  assertClose("scores", a.read(out, 3 * n), expected, { atol: 1e-6 });
});

Deno.test("two threads give the blocked inverse the same values as one", async () => {
  const n = 2 * BLOCK + 11;
  const g = ref.gram(randomBinary(200, n, 0.05, 12), 3);
  const two = await Kernel.create({ threads: 2 });
  try {
    const results = [kernel, two].map((k) => {
      const pa = k.alloc(4 * n * n);
      k.f32(pa, n * n).set(g);
      const panels = allocPanels(k, n);
      cholesky(k, pa, n, panels);
      inverseFromCholesky(k, pa, n, panels);
      return k.f32(pa, n * n).slice();
    });
    assertClose("2 threads vs 1", results[1], results[0], { atol: 0, rtol: 0 });
  } finally {
    two.close();
  }
});
