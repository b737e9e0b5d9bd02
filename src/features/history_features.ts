/**
 * The model input built from a user's history — the one feature code that training and serving
 * share, so the server computes exactly what the model was trained on.
 *
 * A history is a list of dense item indices, oldest first. It becomes one sparse row per "bag":
 * weights over the movies watched, normalised to sum to 1, all over the same item embedding.
 * Recency bags weight the d-th most recent movie by exp(−d/τ) over the last ⌈5τ⌉ movies (short,
 * medium and long memory); the "all" bag weights the whole history (or its last `max` movies)
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

/** Most non-zeros one history of length `n` produces (over all its bags). */
export function maxNonZeros(spec: FeatureSpec, n: number): number {
  let total = 0;
  for (const bag of spec.bags) total += Math.min(n, windowOf(bag));
  return total;
}

// How many of the most recent movies a bag looks at.
function windowOf(bag: BagSpec): number {
  return bag.kind === "all" ? bag.max ?? Infinity : Math.ceil(5 * bag.tau);
}

/**
 * How many of a history's most recent movies reach the model (the widest bag's window; Infinity
 * when a bag takes the whole history): older movies change no input.
 */
export function historyWindow(spec: FeatureSpec): number {
  return Math.max(...spec.bags.map(windowOf));
}

/** A growing CSR matrix in typed arrays: rows of (index, value) pairs. */
export class CsrBuilder {
  offsets = new Int32Array(64);
  indices = new Int32Array(1024);
  values = new Float32Array(1024);
  rows = 0;
  nnz = 0;

  /** Makes room for `n` more entries and one more row. */
  reserve(n: number): void {
    if (this.nnz + n > this.indices.length) {
      const size = Math.max(2 * this.indices.length, this.nnz + n);
      const [i, v] = [new Int32Array(size), new Float32Array(size)];
      i.set(this.indices.subarray(0, this.nnz));
      v.set(this.values.subarray(0, this.nnz));
      [this.indices, this.values] = [i, v];
    }
    if (this.rows + 2 > this.offsets.length) {
      const o = new Int32Array(2 * this.offsets.length);
      o.set(this.offsets);
      this.offsets = o;
    }
  }

  /** Closes the current row. */
  endRow(): void {
    this.offsets[++this.rows] = this.nnz;
  }

  /** Empties the builder, keeping its buffers. */
  clear(): void {
    this.rows = this.nnz = 0;
  }

  /** The rows as typed arrays (views of the builder's buffers until the next write). */
  view(): { offsets: Int32Array; indices: Int32Array; values: Float32Array } {
    return {
      offsets: this.offsets.subarray(0, this.rows + 1),
      indices: this.indices.subarray(0, this.nnz),
      values: this.values.subarray(0, this.nnz),
    };
  }

  /** The rows as fresh typed arrays. */
  build(): { offsets: Int32Array; indices: Int32Array; values: Float32Array } {
    const v = this.view();
    return { offsets: v.offsets.slice(), indices: v.indices.slice(), values: v.values.slice() };
  }
}

// Normalised weights of a bag over its w most recent movies, newest first, cached per (spec, w).
const weightCache = new WeakMap<BagSpec, Float32Array[]>();
function bagWeights(bag: BagSpec, w: number): Float32Array {
  let byLength = weightCache.get(bag);
  if (!byLength) weightCache.set(bag, byLength = []);
  let weights = byLength[w];
  if (!weights) {
    weights = new Float32Array(w);
    let sum = 0;
    for (let d = 0; d < w; d++) sum += weights[d] = bag.kind === "all" ? 1 : Math.exp(-d / bag.tau);
    for (let d = 0; d < w; d++) weights[d] /= sum;
    if (w <= 4096) byLength[w] = weights;
  }
  return weights;
}

/**
 * Appends one row per bag for the prefix `history[0..length)` (default: all of it) to `out`.
 * An empty prefix gives empty rows: the model then falls back on its biases (popularity).
 */
export function encodeHistory(
  history: ArrayLike<number>,
  spec: FeatureSpec,
  options: { out: CsrBuilder; length?: number },
): void {
  const { out } = options;
  const n = options.length ?? history.length;
  for (const bag of spec.bags) {
    const w = Math.min(n, windowOf(bag));
    out.reserve(w);
    if (w > 0) {
      const weights = bagWeights(bag, w);
      const { indices, values } = out;
      let j = out.nnz;
      for (let d = 0; d < w; d++, j++) {
        indices[j] = history[n - 1 - d];
        values[j] = weights[d];
      }
      out.nnz = j;
    }
    out.endRow();
  }
}
