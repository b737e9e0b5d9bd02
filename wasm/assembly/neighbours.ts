// ItemKNN's maths (cosine similarity over a binary user × item matrix, the k nearest neighbours of
// every item; Sarwar et al. 2001, Deshpande & Karypis 2004) and the scoring of a history through
// sparse item-to-item weights (score[j] = Σ_{h in history} W[h][j] with W in CSR).
import { topK } from "./topk";

/**
 * For rows r in [lo, hi) of a block of Gram rows (gram[r × n ..], item base + r, overwritten):
 * cosine similarity sim[j] = G[i][j] / √(G[i][i] · G[j][j]) with G's diagonal in counts[n] (0 when
 * either item has no user), the item itself excluded, then its k most similar items (score desc,
 * index asc) into outIdx / outSim[(base + r) × k ..]. Requires k ≤ n − 1.
 */
export function cosineTopK(
  outIdx: usize,
  outSim: usize,
  gram: usize,
  counts: usize,
  n: i32,
  k: i32,
  base: i32,
  _rows: i32,
  lo: i32,
  hi: i32,
): void {
  const rowB = <usize> n << 2;
  for (let r = lo; r < hi; r++) {
    const i = base + r;
    const row = gram + <usize> r * rowB;
    const ci = load<f32>(counts + (<usize> i << 2));
    const si = f32x4.splat(ci);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize> j << 2;
      const den = f32x4.sqrt(f32x4.mul(si, v128.load(counts + o)));
      // 0 / 0 (an item nobody watched) becomes 0 through the mask of positive denominators.
      const q = f32x4.div(v128.load(row + o), den);
      v128.store(row + o, v128.and(q, f32x4.gt(den, f32x4.splat(0))));
    }
    for (; j < n; j++) {
      const o = <usize> j << 2;
      const den = Mathf.sqrt(ci * load<f32>(counts + o));
      store<f32>(row + o, den > 0 ? load<f32>(row + o) / den : 0);
    }
    store<f32>(row + (<usize> i << 2), -Infinity);
    const o = <usize> i * <usize> k << 2;
    topK(outIdx + o, outSim + o, row, n, k);
  }
}

/**
 * out[B × N] row b = Σ over the history entries e of row b (offsets[b] .. offsets[b+1) into
 * indices, i32) of the sparse weight row W[indices[e]] given as CSR (rowOffsets, rowCols i32,
 * rowVals f32): out[b][rowCols[q]] += rowVals[q]. Rows b in [lo, hi).
 */
export function sparseRowsForward(
  out: usize,
  offsets: usize,
  indices: usize,
  rowOffsets: usize,
  rowCols: usize,
  rowVals: usize,
  N: i32,
  _B: i32,
  lo: i32,
  hi: i32,
): void {
  const rowB = <usize> N << 2;
  for (let b = lo; b < hi; b++) {
    const o = out + <usize> b * rowB;
    memory.fill(o, 0, rowB);
    const e1 = load<i32>(offsets + (<usize> (b + 1) << 2));
    for (let e = load<i32>(offsets + (<usize> b << 2)); e < e1; e++) {
      const h = load<i32>(indices + (<usize> e << 2));
      const q1 = load<i32>(rowOffsets + (<usize> (h + 1) << 2));
      for (let q = load<i32>(rowOffsets + (<usize> h << 2)); q < q1; q++) {
        const p = o + (<usize> load<i32>(rowCols + (<usize> q << 2)) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(rowVals + (<usize> q << 2)));
      }
    }
  }
}
