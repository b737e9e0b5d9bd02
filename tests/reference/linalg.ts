/**
 * Float64 references of the item-item families' maths, written for clarity, not speed: Gram matrix
 * of a binary matrix, Cholesky, SPD inverse, EASE (Steck 2019), cosine ItemKNN and their scoring.
 */
import type { BinaryCsr } from "../../src/model/families/csr.ts";

/** G = XᵀX + shift·I (cols × cols) of a binary CSR, row-major. */
export function gram(x: BinaryCsr, shift = 0): Float64Array {
  const n = x.cols;
  const g = new Float64Array(n * n);
  for (let r = 0; r < x.rows; r++) {
    const row = x.indices.subarray(x.offsets[r], x.offsets[r + 1]);
    for (const i of row) for (const j of row) g[i * n + j] += 1;
  }
  for (let i = 0; i < n; i++) g[i * n + i] += shift;
  return g;
}

/** The lower Cholesky factor L of an SPD matrix (zeros above the diagonal); throws if not SPD. */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= l[j * n + k] ** 2;
    if (!(s > 0)) throw new Error(`not positive definite at column ${j + 1}`);
    l[j * n + j] = Math.sqrt(s);
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / l[j * n + j];
    }
  }
  return l;
}

/** L⁻¹ of a lower-triangular L (lower, zeros above). */
export function lowerInverse(l: ArrayLike<number>, n: number): Float64Array {
  const x = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    x[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k] * x[k * n + j];
      x[i * n + j] = -s / l[i * n + i];
    }
  }
  return x;
}

/** A⁻¹ of an SPD matrix, full: (L⁻¹)ᵀ·L⁻¹. */
export function inverseSpd(a: ArrayLike<number>, n: number): Float64Array {
  const w = lowerInverse(cholesky(a, n), n);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += w[k * n + i] * w[k * n + j];
      p[i * n + j] = s;
    }
  }
  return p;
}

/** EASE's B = I − P·diag(1/diag P) with a zero diagonal, P = (XᵀX + λI)⁻¹ (Steck 2019). */
export function easeWeights(x: BinaryCsr, lambda: number): Float64Array {
  const n = x.cols;
  const p = inverseSpd(gram(x, lambda), n);
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -p[i * n + j] / p[j * n + j];
  }
  return b;
}

/** Cosine similarity of items (columns of X): G[i][j] / √(G[i][i]·G[j][j]), 0 for an empty item. */
export function cosine(x: BinaryCsr): Float64Array {
  const n = x.cols;
  const g = gram(x);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.sqrt(g[i * n + i] * g[j * n + j]);
      s[i * n + j] = d > 0 ? g[i * n + j] / d : 0;
    }
  }
  return s;
}

/**
 * Each item's k most similar other items (similarity desc, index asc): `idx`/`sim` are n × k.
 */
export function nearest(x: BinaryCsr, k: number): { idx: Int32Array; sim: Float64Array } {
  const n = x.cols;
  const s = cosine(x);
  const idx = new Int32Array(n * k), sim = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i)
      .sort((a, b) => s[i * n + b] - s[i * n + a] || a - b).slice(0, k);
    order.forEach((j, q) => {
      idx[i * k + q] = j;
      sim[i * k + q] = s[i * n + j];
    });
  }
  return { idx, sim };
}

/**
 * ItemKNN's item-to-item weights as a dense n × n matrix: W[h][j] = sim(h, j) when h is among j's
 * k nearest items, else 0 — a candidate j is scored by its own neighbours in the history.
 */
export function knnWeights(x: BinaryCsr, k: number): Float64Array {
  const n = x.cols;
  const { idx, sim } = nearest(x, k);
  const w = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let q = 0; q < k; q++) w[idx[j * k + q] * n + j] = sim[j * k + q];
  }
  return w;
}

/** Scores of a history through dense item-to-item weights: Σ_{h in history} W[h][·]. */
export function scoreHistory(
  w: ArrayLike<number>,
  n: number,
  history: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(n);
  for (let e = 0; e < history.length; e++) {
    const h = history[e];
    for (let j = 0; j < n; j++) out[j] += w[h * n + j];
  }
  return out;
}

/** C = A·B for row-major A (m × k) and B (k × n). */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += x * b[p * n + j];
    }
  }
  return c;
}
