/** Compares a kernel result with its float64 reference: max differences and the first mismatches. */

/** The outcome of {@link compare}. */
export interface Comparison {
  maxAbs: number;
  maxRel: number;
  /** Elements with |a − e| > atol + rtol·|e| (or a length/NaN mismatch), at most `limit`. */
  mismatches: { index: number; actual: number; expected: number }[];
  count: number;
}

/** Elementwise comparison with tolerance atol + rtol·|expected|. */
export function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { atol?: number; rtol?: number; limit?: number } = {},
): Comparison {
  const { atol = 1e-5, rtol = 1e-4, limit = 5 } = options;
  const out: Comparison = { maxAbs: 0, maxRel: 0, mismatches: [], count: 0 };
  if (actual.length !== expected.length) {
    out.count = 1;
    out.mismatches.push({ index: -1, actual: actual.length, expected: expected.length });
    return out;
  }
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    const bad = !(d <= atol + rtol * Math.abs(expected[i]));
    out.maxAbs = Math.max(out.maxAbs, Number.isNaN(d) ? Infinity : d);
    out.maxRel = Math.max(out.maxRel, d / Math.max(Math.abs(expected[i]), 1e-12));
    if (bad) {
      out.count++;
      if (out.mismatches.length < limit) {
        out.mismatches.push({ index: i, actual: actual[i], expected: expected[i] });
      }
    }
  }
  return out;
}

/** Throws a readable report when `actual` and `expected` differ beyond tolerance. */
export function assertClose(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { atol?: number; rtol?: number } = {},
): Comparison {
  const r = compare(actual, expected, options);
  if (r.count > 0) {
    const first = r.mismatches.map((m) => `[${m.index}] got ${m.actual} expected ${m.expected}`)
      .join("; ");
    throw new Error(
      `${label}: ${r.count} of ${expected.length} values differ (max abs ${
        r.maxAbs.toExponential(3)
      }, max rel ${r.maxRel.toExponential(3)}); first: ${first}`,
    );
  }
  return r;
}
