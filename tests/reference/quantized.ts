/** Float64 reference of the int8 serving ops (wasm/assembly/quantized.ts): exact scores, top-k, the bound. */

type Vec = ArrayLike<number>;

/** Exact scores of rows u[B×K] against table[V×K] (row v = item v) plus bias[V]. */
export function rowScores(u: Vec, table: Vec, bias: Vec, B: number, V: number, K: number) {
  const out = new Float64Array(B * V);
  for (let b = 0; b < B; b++) {
    for (let v = 0; v < V; v++) {
      let s = bias[v];
      for (let j = 0; j < K; j++) s += u[b * K + j] * table[v * K + j];
      out[b * V + v] = s;
    }
  }
  return out;
}

/** Best k of one row by (score desc, index asc), skipping `skip`, masked (0) and non-finite entries. */
export function topKOf(
  scores: Vec,
  k: number,
  skip: Iterable<number> = [],
  allow?: Vec,
): number[] {
  const out = new Set(skip);
  return Array.from(scores, (s, i) => [s, i] as const)
    .filter(([s, i]) => !out.has(i) && (!allow || allow[i]) && Number.isFinite(s))
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

/**
 * The int8 view of one table row as quantizeTableQ8 makes it: scale s = max|O| / 127 and
 * q = round(O / s) in −127..127 (s = 0, q = 0 for a zero row).
 */
export function quantizeRow(row: Vec): { scale: number; q: number[] } {
  const mx = Math.max(0, ...Array.from(row, Math.abs));
  const scale = mx / 127;
  return { scale, q: Array.from(row, (x) => (scale > 0 ? Math.round(x / scale) : 0)) };
}

/**
 * The largest error of a score computed from q (item) and p = round(u / t), t = max|u| / 63:
 * t/2 · Σ|O| + s/2 · t · Σ|p|. The kernel's bound must be at least the exact score.
 */
export function quantisationError(u: Vec, row: Vec): number {
  const mx = Math.max(0, ...Array.from(u, Math.abs));
  const t = mx / 63;
  const { scale } = quantizeRow(row);
  const p1 = Array.from(u, (x) => (t > 0 ? Math.abs(Math.round(x / t)) : 0)).reduce(
    (a, b) => a + b,
    0,
  );
  const l1 = Array.from(row, Math.abs).reduce((a, b) => a + b, 0);
  return (t / 2) * l1 + (scale / 2) * t * p1;
}
