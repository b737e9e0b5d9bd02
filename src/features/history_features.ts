/**
 * The model input built from a user's history — the one feature code that training and serving
 * share, so the server computes exactly what the model was trained on.
 *
 * A history is a list of dense item indices, oldest first. The input is a sparse vector made of
 * several "bags" laid side by side, each V wide: a bag holds weights over the movies watched,
 * normalised to sum to 1. Recency bags weight the d-th most recent movie by exp(−d/τ) over the
 * last ⌈5τ⌉ movies (short, medium and long memory); the "all" bag weights the whole history
 * uniformly. Recency is what matters most for next-item prediction (shared/EVALUATION.md).
 */
import { invalid } from "../errors.ts";

/**
 * One bag: exponential recency with time constant `tau` (in items), or uniform weights over the
 * whole history — or over its last `max` movies, which bounds the cost of very long histories.
 */
export type BagSpec = { kind: "recent"; tau: number } | { kind: "all"; max?: number };

/** How histories become model inputs; stored in the checkpoint manifest with the model. */
export interface FeatureSpec {
  bags: BagSpec[];
}

/** The default: three recency scales and the last 200 movies (the whole history for most users). */
export const DEFAULT_FEATURES: FeatureSpec = {
  bags: [
    { kind: "recent", tau: 1 },
    { kind: "recent", tau: 5 },
    { kind: "recent", tau: 25 },
    { kind: "all", max: 200 },
  ],
};

/** Checks a spec read from a flag or a manifest, naming the bad bag. */
export function validateFeatureSpec(spec: FeatureSpec): FeatureSpec {
  if (!spec || !Array.isArray(spec.bags) || spec.bags.length === 0) {
    throw invalid(`feature spec needs a non-empty "bags" array, got ${JSON.stringify(spec)}`);
  }
  for (const bag of spec.bags) {
    const ok = (bag.kind === "all" &&
      (bag.max === undefined || (Number.isInteger(bag.max) && bag.max > 0))) ||
      (bag.kind === "recent" && Number.isFinite(bag.tau) && bag.tau > 0);
    if (!ok) {
      throw invalid(
        `feature bag must be {kind:"all",max?:integer>0} or {kind:"recent",tau>0}, got ${
          JSON.stringify(bag)
        }`,
      );
    }
  }
  return spec;
}

/** Width of the sparse input: one V-wide block per bag. */
export function inputWidth(spec: FeatureSpec, V: number): number {
  return spec.bags.length * V;
}

/** Most non-zeros one history of length `n` produces. */
export function maxNonZeros(spec: FeatureSpec, n: number): number {
  let total = 0;
  for (const bag of spec.bags) total += Math.min(n, windowOf(bag));
  return total;
}

// How many of the most recent movies a bag looks at.
function windowOf(bag: BagSpec): number {
  return bag.kind === "all" ? bag.max ?? Infinity : Math.ceil(5 * bag.tau);
}

/** A growing CSR matrix: rows of (index, value) pairs. */
export class CsrBuilder {
  offsets: number[] = [0];
  indices: number[] = [];
  values: number[] = [];

  get rows(): number {
    return this.offsets.length - 1;
  }

  /** The rows as typed arrays, ready for the kernel. */
  build(): { offsets: Int32Array; indices: Int32Array; values: Float32Array } {
    return {
      offsets: Int32Array.from(this.offsets),
      indices: Int32Array.from(this.indices),
      values: Float32Array.from(this.values),
    };
  }
}

/**
 * Appends one input row for the prefix `history[0..length)` (default: all of it) to `out`.
 * An empty prefix gives an empty row: the model then falls back on its biases (popularity).
 */
export function encodeHistory(
  history: ArrayLike<number>,
  spec: FeatureSpec,
  options: { V: number; out: CsrBuilder; length?: number },
): void {
  const { V, out } = options;
  const n = options.length ?? history.length;
  spec.bags.forEach((bag, b) => {
    const base = b * V;
    const w = Math.min(n, windowOf(bag));
    if (w === 0) return;
    let sum = 0;
    const start = out.values.length;
    for (let d = 0; d < w; d++) {
      const value = bag.kind === "all" ? 1 : Math.exp(-d / bag.tau);
      out.indices.push(base + history[n - 1 - d]);
      out.values.push(value);
      sum += value;
    }
    for (let k = start; k < out.values.length; k++) out.values[k] /= sum;
  });
  out.offsets.push(out.indices.length);
}
