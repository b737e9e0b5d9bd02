/**
 * The statistics of online evaluation: Wilson score intervals for rates, normal intervals for
 * means, and the one-sided two-proportion z-test the canary's promotion rule uses
 * (Wilson 1927; Agresti & Caffo 2000; e.g. NIST/SEMATECH e-Handbook 7.3.3 for the z-test).
 */

/** A value with a two-sided interval; all null when there are no observations. */
export interface Estimate {
  value: number | null;
  low: number | null;
  high: number | null;
  /** Observations behind it (impressions for rates, watched items for the reciprocal position). */
  n: number;
}

/** z of a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/** The Wilson score interval of `successes` out of `n` (well-behaved near 0 and 1, unlike Wald's). */
export function wilson(successes: number, n: number, z = Z95): Estimate {
  if (n <= 0) return { value: null, low: null, high: null, n: 0 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { value: p, low: Math.max(0, center - half), high: Math.min(1, center + half), n };
}

/** The mean of `n` values given their sum and sum of squares, with a normal interval (sample sd). */
export function meanInterval(sum: number, sumSquares: number, n: number, z = Z95): Estimate {
  if (n <= 0) return { value: null, low: null, high: null, n: 0 };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : 0;
  const half = z * Math.sqrt(variance / n);
  return { value: mean, low: mean - half, high: mean + half, n };
}

/** Φ, the standard normal CDF, through erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** The one-sided test of H0: p_b <= p_a against H1: p_b > p_a. */
export interface ProportionTest {
  z: number;
  /** P(Z >= z) under H0 (pooled standard error). */
  pValue: number;
}

/**
 * Two-proportion z-test with the pooled standard error: z = (p_b − p_a) / √(p(1−p)(1/n_a + 1/n_b)),
 * p = (x_a + x_b) / (n_a + n_b). Valid when each arm has enough successes and failures (the
 * rule's minimum impressions guard that); a degenerate pooled rate (0 or 1) gives z = 0.
 */
export function twoProportionZTest(
  a: { successes: number; n: number },
  b: { successes: number; n: number },
): ProportionTest {
  if (a.n <= 0 || b.n <= 0) return { z: 0, pValue: 1 };
  const pooled = (a.successes + b.successes) / (a.n + b.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (b.successes / b.n - a.successes / a.n) / se;
  return { z, pValue: 1 - normalCdf(z) };
}
