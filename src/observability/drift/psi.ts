/**
 * The population stability index between two histograms (Siddiqi, "Credit Risk Scorecards",
 * 2006; Yurdakul, "Statistical properties of the population stability index", 2018):
 * PSI = Σᵢ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the union of bins, with eᵢ and aᵢ the reference and recent
 * shares. Below 0.1 is usually read as no shift, 0.1–0.25 as a moderate one, above as a large one.
 */

/** Bin name → weight (counts, or fractional counts when a record spreads over several bins). */
export type Histogram = Map<string, number>;

/** Shares below this floor count as it: an empty bin on one side gives a large but finite PSI. */
export const PSI_FLOOR = 1e-4;

/** Shares of each bin of `h` over `bins` (all zero when `h` is empty). */
export function shares(h: Histogram, bins: readonly string[]): number[] {
  let total = 0;
  for (const v of h.values()) total += v;
  return bins.map((b) => (total > 0 ? (h.get(b) ?? 0) / total : 0));
}

/** The PSI of `recent` against `reference`, over the union of their bins. */
export function psi(reference: Histogram, recent: Histogram): number {
  const bins = [...new Set([...reference.keys(), ...recent.keys()])];
  const e = shares(reference, bins);
  const a = shares(recent, bins);
  let sum = 0;
  for (let i = 0; i < bins.length; i++) {
    const ei = Math.max(e[i], PSI_FLOOR), ai = Math.max(a[i], PSI_FLOOR);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

/** Adds `weight` to bin `bin`. */
export function add(h: Histogram, bin: string, weight = 1): void {
  h.set(bin, (h.get(bin) ?? 0) + weight);
}
