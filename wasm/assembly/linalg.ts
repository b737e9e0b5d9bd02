// Dense linear algebra for the item-item families: the Gram matrix of a binary sparse matrix, the
// pieces of a blocked Cholesky factorisation and inverse (LAPACK's dpotrf + dpotri = dtrtri +
// dlauum, blocked as in LAPACK 3 with the big products on gemm.ts), and EASE's weights from the
// inverse (Steck 2019: B = I − P·diag(1/diag P), zero diagonal). The host (src/model/families/
// linalg.ts) sequences the blocks; every matrix is row-major float32 with a leading dimension.
import { gemm, INIT_ZERO } from "./gemm";

/**
 * Rows [lo, hi) of G = XᵀX + shift·I for a binary X given twice as CSR: `outer` lists, for each row
 * of G, the X-rows that contain it (outerOffsets[base + r] .. outerOffsets[base + r + 1] into
 * outerIdx, i32), `inner` lists each X-row's columns. out[(r)×N + j] for j < N, r in [lo, hi),
 * where G's row is base + r (so a block of rows can be computed into a smaller buffer).
 * For XᵀX (items × items) outer = item → users and inner = user → items; swap them for XXᵀ.
 */
export function gramBinary(
  out: usize,
  outerOffsets: usize,
  outerIdx: usize,
  innerOffsets: usize,
  innerIdx: usize,
  N: i32,
  base: i32,
  shift: f32,
  _rows: i32,
  lo: i32,
  hi: i32,
): void {
  const rowB = <usize> N << 2;
  for (let r = lo; r < hi; r++) {
    const i = base + r;
    const row = out + <usize> r * rowB;
    memory.fill(row, 0, rowB);
    const t1 = load<i32>(outerOffsets + (<usize> (i + 1) << 2));
    for (let t = load<i32>(outerOffsets + (<usize> i << 2)); t < t1; t++) {
      const u = load<i32>(outerIdx + (<usize> t << 2));
      const e1 = load<i32>(innerOffsets + (<usize> (u + 1) << 2));
      for (let e = load<i32>(innerOffsets + (<usize> u << 2)); e < e1; e++) {
        const p = row + (<usize> load<i32>(innerIdx + (<usize> e << 2)) << 2);
        store<f32>(p, load<f32>(p) + 1);
      }
    }
    if (i < N) {
      const d = row + (<usize> i << 2);
      store<f32>(d, load<f32>(d) + shift);
    }
  }
}

function at(a: usize, lda: usize, r: i32, c: i32): usize {
  return a + ((<usize> r * lda + <usize> c) << 2);
}

/**
 * Unblocked Cholesky (dpotf2, lower) of the diagonal block A[j0..j0+jb)² of an n × n matrix in
 * place, accumulating in float64; zeroes the block's strict upper triangle and the row panel to its
 * right (A[j0..j0+jb) × [j0+jb..n)), which a lower factor never uses. Returns 0, or the 1-based
 * global column where the matrix stopped being positive definite.
 */
export function choleskyBlock(a: usize, lda: i32, j0: i32, jb: i32, n: i32): i32 {
  const ld = <usize> lda;
  for (let c = 0; c < jb; c++) {
    const rc = at(a, ld, j0 + c, j0);
    let s = <f64> load<f32>(rc + (<usize> c << 2));
    for (let k = 0; k < c; k++) {
      const x = <f64> load<f32>(rc + (<usize> k << 2));
      s -= x * x;
    }
    if (!(s > 0)) return j0 + c + 1;
    const d = Math.sqrt(s);
    store<f32>(rc + (<usize> c << 2), <f32> d);
    for (let r = c + 1; r < jb; r++) {
      const rr = at(a, ld, j0 + r, j0);
      let t = <f64> load<f32>(rr + (<usize> c << 2));
      for (let k = 0; k < c; k++) {
        t -= <f64> load<f32>(rr + (<usize> k << 2)) * <f64> load<f32>(rc + (<usize> k << 2));
      }
      store<f32>(rr + (<usize> c << 2), <f32> (t / d));
    }
  }
  for (let r = 0; r < jb; r++) {
    const from = j0 + r + 1;
    memory.fill(at(a, ld, j0 + r, from), 0, <usize> (n - from) << 2);
  }
  return 0;
}

/**
 * w[jb × jb] (row-major) = scale · X, or scale · Xᵀ when `transposed` ≠ 0, where X = L⁻¹ is the
 * inverse of the lower-triangular diagonal block L = A[j0..j0+jb)² (dtrti2: column by column,
 * float64 sums). Entries outside the triangle are written as zeros.
 */
export function lowerInverse(
  w: usize,
  a: usize,
  lda: i32,
  j0: i32,
  jb: i32,
  scale: f32,
  transposed: i32,
): void {
  const ld = <usize> lda, wb = <usize> jb;
  memory.fill(w, 0, (wb * wb) << 2);
  // X[i][j] = −(Σ_{k=j}^{i−1} L[i][k]·X[k][j]) / L[i][i], X[j][j] = 1 / L[j][j].
  for (let j = 0; j < jb; j++) {
    store<f32>(at(w, wb, j, j), <f32> (1.0 / <f64> load<f32>(at(a, ld, j0 + j, j0 + j))));
    for (let i = j + 1; i < jb; i++) {
      const li = at(a, ld, j0 + i, j0);
      let s: f64 = 0;
      for (let k = j; k < i; k++) {
        s += <f64> load<f32>(li + (<usize> k << 2)) * <f64> load<f32>(at(w, wb, k, j));
      }
      store<f32>(at(w, wb, i, j), <f32> (-s / <f64> load<f32>(li + (<usize> i << 2))));
    }
  }
  for (let i = 0; i < jb; i++) {
    for (let j = 0; j <= i; j++) {
      const p = at(w, wb, i, j);
      const x = load<f32>(p) * scale;
      if (transposed) {
        store<f32>(p, 0);
        store<f32>(at(w, wb, j, i), x);
      } else {
        store<f32>(p, x);
      }
    }
  }
}

/** dst[r × ldd + c] = scale · src[r × lds + c] for c < cols and rows r in [lo, hi). */
export function scaleCopy(
  dst: usize,
  ldd: i32,
  src: usize,
  lds: i32,
  cols: i32,
  scale: f32,
  _rows: i32,
  lo: i32,
  hi: i32,
): void {
  const sv = f32x4.splat(scale);
  for (let r = lo; r < hi; r++) {
    const d = dst + (<usize> r * <usize> ldd << 2), s = src + (<usize> r * <usize> lds << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize> c << 2;
      v128.store(d + o, f32x4.mul(v128.load(s + o), sv));
    }
    for (; c < cols; c++) {
      const o = <usize> c << 2;
      store<f32>(d + o, load<f32>(s + o) * scale);
    }
  }
}

/** gemm.ts's product over rows [lo, hi) of C (all N columns): threads split M. Strides in floats. */
export function gemmRows(
  c: usize,
  ldc: i32,
  a: usize,
  sAi: i32,
  sAp: i32,
  b: usize,
  sBk: i32,
  sBn: i32,
  _M: i32,
  K: i32,
  N: i32,
  init: i32,
  lo: i32,
  hi: i32,
): void {
  if (hi <= lo) return;
  const cr = c + (<usize> lo * <usize> ldc << 2), ar = a + (<usize> lo * <usize> sAi << 2);
  gemm(cr, ldc, ar, sAi, sAp, b, sBk, sBn, hi - lo, K, 0, N, init, 0);
}

/** gemm.ts's product over columns [lo, hi) of C (all M rows): threads split N. Strides in floats. */
export function gemmCols(
  c: usize,
  ldc: i32,
  a: usize,
  sAi: i32,
  sAp: i32,
  b: usize,
  sBk: i32,
  sBn: i32,
  M: i32,
  K: i32,
  _N: i32,
  init: i32,
  lo: i32,
  hi: i32,
): void {
  gemm(c, ldc, a, sAi, sAp, b, sBk, sBn, M, K, lo, hi, init, 0);
}

/**
 * The lower triangle of C[N × N] (=|+=) A·Bᵀ for A, B row-major N × K (row strides sa, sb), by
 * column blocks [lo, hi): rows lo..N of those columns (a little of the upper triangle inside the
 * block is computed too and must be ignored). dsyrk's role in the factorisation (A = −L21,
 * B = L21) and in EASE's low-rank form (A = B = Zᵀ).
 */
export function syrkLower(
  c: usize,
  ldc: i32,
  a: usize,
  sa: i32,
  b: usize,
  sb: i32,
  K: i32,
  N: i32,
  init: i32,
  lo: i32,
  hi: i32,
): void {
  if (hi <= lo) return;
  const cr = c + (<usize> lo * <usize> ldc << 2), ar = a + (<usize> lo * <usize> sa << 2);
  gemm(cr, ldc, ar, sa, 1, b, 1, sb, N - lo, K, lo, hi, init, 0);
}

/**
 * C[r, 0..cols) = Σ_{k < hi} T[r, k] · X[k, 0..cols) for rows r in [lo, hi): the product of a
 * lower-triangular T (its strict upper triangle must be zero) with X, without touching the zero
 * blocks right of the range (dtrmm, left, lower).
 */
export function trmmLower(
  c: usize,
  ldc: i32,
  t: usize,
  ldt: i32,
  x: usize,
  ldx: i32,
  cols: i32,
  _rows: i32,
  lo: i32,
  hi: i32,
): void {
  if (hi <= lo) return;
  const cr = c + (<usize> lo * <usize> ldc << 2), tr = t + (<usize> lo * <usize> ldt << 2);
  gemm(cr, ldc, tr, ldt, 1, x, ldx, 1, hi - lo, hi, 0, cols, INIT_ZERO, 0);
}

/**
 * scales[j] = −alpha / P[j][j] for j < n, where P = alpha·A + beta·I: the column factors of EASE's
 * weights (B[i][j] = −P[i][j] / P[j][j] = A[i][j] · scales[j] off the diagonal).
 */
export function easeScales(scales: usize, a: usize, lda: i32, n: i32, alpha: f32, beta: f32): void {
  for (let j = 0; j < n; j++) {
    const p = alpha * load<f32>(at(a, <usize> lda, j, j)) + beta;
    store<f32>(scales + (<usize> j << 2), -alpha / p);
  }
}

/** Rows per tile of {@link easeWeights}: a tile row of floats is one 64-byte cache line. */
const TILE: i32 = 16;

/**
 * EASE's weights in place from the lower triangle of a symmetric A (Steck 2019): B[i][j] =
 * A[i][j] · scales[j] for i ≠ j, both triangles written from the lower one, B[i][i] = 0, with
 * `scales` from easeScales (computed before any tile is written). Tile rows [lo, hi) of 16 rows:
 * a thread owns the lower tiles of its rows and their mirror images, so threads never share one.
 * Direct inverse A = P: alpha = 1, beta = 0. Low-rank form P ∝ I − M (A = M): alpha = −1, beta = 1.
 */
export function easeWeights(
  a: usize,
  lda: i32,
  scales: usize,
  n: i32,
  _tiles: i32,
  lo: i32,
  hi: i32,
): void {
  const ld = <usize> lda;
  for (let t = lo; t < hi; t++) {
    const r0 = t * TILE, r1 = min(n, r0 + TILE);
    for (let c0 = 0; c0 <= r0; c0 += TILE) {
      for (let i = r0; i < r1; i++) {
        const si = load<f32>(scales + (<usize> i << 2));
        const row = at(a, ld, i, 0);
        const c1 = min(c0 + TILE, i);
        let j = c0;
        for (; j + 4 <= c1; j += 4) {
          const o = <usize> j << 2;
          const p = v128.load(row + o);
          v128.store(row + o, f32x4.mul(p, v128.load(scales + o)));
          store<f32>(at(a, ld, j, i), f32x4.extract_lane(p, 0) * si);
          store<f32>(at(a, ld, j + 1, i), f32x4.extract_lane(p, 1) * si);
          store<f32>(at(a, ld, j + 2, i), f32x4.extract_lane(p, 2) * si);
          store<f32>(at(a, ld, j + 3, i), f32x4.extract_lane(p, 3) * si);
        }
        for (; j < c1; j++) {
          const o = <usize> j << 2;
          const p = load<f32>(row + o);
          store<f32>(row + o, p * load<f32>(scales + o));
          store<f32>(at(a, ld, j, i), p * si);
        }
      }
    }
    for (let i = r0; i < r1; i++) store<f32>(at(a, ld, i, i), 0);
  }
}
