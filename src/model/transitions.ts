/**
 * The item-to-item transition term added to the network's logits: a sparse first-order model of
 * what users watch within a few movies after each movie, fit in closed form from the training
 * sequences. A history's last movies vote for their successors; a candidate j gains
 * weight · ln(1 + s_j / ε), s_j = Σ_d exp(−d/τ) · P[h_{n−1−d}, j] over the last `last` movies
 * (d = 0 the newest), P[i, j] = c_ij / (n_i + shrink), c_ij the pairs i → j at most `window`
 * positions apart in one user's train sequence, n_i every pair starting at i.
 */
import { corrupt, invalid } from "../errors.ts";

/** How the transition term is fit and scored; stored in the checkpoint manifest with its weight. */
export interface TransitionSpec {
  /** Pairs i → j count when j comes at most this many positions after i. */
  window: number;
  /** Shrinkage β of P[i, j] = c_ij / (n_i + β): rarely seen movies vote weakly. */
  shrink: number;
  /** How many of the history's most recent movies vote. */
  last: number;
  /** The d-th most recent voter (d = 0 the newest) weighs exp(−d/τ). */
  tau: number;
  /** The term is ln(1 + s/ε): ε sets where a vote starts to count. */
  eps: number;
  /** Most successors kept per movie (the largest P[i, ·], ties by lower index). */
  keep: number;
}

/** The defaults (a small window and few voters; the weight is chosen on validation per run). */
export const DEFAULT_TRANSITIONS: TransitionSpec = {
  window: 5,
  shrink: 20,
  last: 5,
  tau: 2,
  eps: 0.003,
  keep: 100,
};

/** Weights tried on validation NDCG@10 (0 = the network alone). */
export const TRANSITION_WEIGHTS = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3] as const;

/** P as CSR over V movies: row i's successors `cols[offsets[i]..offsets[i+1])` ascending. */
export interface TransitionTable {
  offsets: Int32Array;
  cols: Int32Array;
  vals: Float32Array;
}

/**
 * Fits P from `sequences` (dense indices, oldest first) over `V` movies. Exact counts; each row
 * keeps its `keep` largest probabilities (normalised before the cut, so a cut never inflates one).
 */
export function fitTransitions(
  sequences: readonly ArrayLike<number>[],
  V: number,
  spec: TransitionSpec,
): TransitionTable {
  const { window, shrink, keep } = spec;
  // Pass 1: pairs per source row; pass 2: every pair's successor, grouped by row.
  const starts = new Int32Array(V + 1);
  for (const q of sequences) {
    for (let p = 0; p < q.length; p++) starts[q[p] + 1] += Math.min(window, q.length - 1 - p);
  }
  for (let i = 0; i < V; i++) starts[i + 1] += starts[i];
  const next = new Int32Array(starts[V]);
  const fill = starts.slice(0, V);
  for (const q of sequences) {
    for (let p = 0; p < q.length; p++) {
      for (let d = 1; d <= window && p + d < q.length; d++) next[fill[q[p]]++] = q[p + d];
    }
  }
  const count = new Float64Array(V);
  const offsets = new Int32Array(V + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < V; i++) {
    const touched: number[] = [];
    for (let e = starts[i]; e < starts[i + 1]; e++) {
      if (count[next[e]]++ === 0) touched.push(next[e]);
    }
    const n = starts[i + 1] - starts[i];
    // Largest counts first, ties by lower index; then the kept ones back in index order.
    touched.sort((a, b) => count[b] - count[a] || a - b);
    const kept = touched.slice(0, keep).sort((a, b) => a - b);
    for (const j of kept) {
      cols.push(j);
      vals.push(count[j] / (n + shrink));
    }
    for (const j of touched) count[j] = 0;
    offsets[i + 1] = cols.length;
  }
  return { offsets, cols: Int32Array.from(cols), vals: Float32Array.from(vals) };
}

/** Checks a spec from the manifest or a caller, naming the bad field. */
export function validateTransitionSpec(spec: TransitionSpec): TransitionSpec {
  const ok = (k: keyof TransitionSpec, int: boolean, min: number) => {
    const v = spec?.[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
      throw invalid(
        `transition ${k} must be ${int ? "an integer" : "a number"} ≥ ${min}, got ${v}`,
      );
    }
  };
  ok("window", true, 1);
  ok("shrink", false, 0);
  ok("last", true, 1);
  ok("keep", true, 1);
  if (!(spec.tau > 0)) throw invalid(`transition tau must be a number > 0, got ${spec.tau}`);
  if (!(spec.eps > 0)) throw invalid(`transition eps must be a number > 0, got ${spec.eps}`);
  return spec;
}

/** CORRUPT unless `t` is a CSR table over `V` movies with ascending in-range columns. */
export function checkTransitionTable(t: TransitionTable, V: number): void {
  const { offsets, cols, vals } = t;
  let ok = offsets.length === V + 1 && offsets[0] === 0 && offsets[V] === cols.length &&
    vals.length === cols.length;
  for (let i = 0; ok && i < V; i++) {
    if (offsets[i + 1] < offsets[i]) ok = false;
    for (let e = offsets[i]; ok && e < offsets[i + 1]; e++) {
      ok = cols[e] >= 0 && cols[e] < V && (e === offsets[i] || cols[e] > cols[e - 1]) &&
        vals[e] >= 0;
    }
  }
  if (!ok) throw corrupt(`transition table is not a valid CSR matrix over ${V} movies`);
}

/** A fitted transition term with its weight: what a recommender adds to its logits. */
export class Transitions {
  readonly #s: Float64Array;
  readonly #touched: Int32Array;

  constructor(
    readonly table: TransitionTable,
    readonly spec: TransitionSpec,
    readonly weight: number,
  ) {
    const V = table.offsets.length - 1;
    this.#s = new Float64Array(V);
    this.#touched = new Int32Array(V);
  }

  /** Most entries {@link addTo} touches for one history: the cost beside the network's. */
  get maxTouched(): number {
    return this.spec.last * this.spec.keep;
  }

  /**
   * Adds the term to `row` (the history's logits over every movie): weight · ln(1 + s_j/ε) for each
   * successor j of the history's last movies; nothing when the weight is 0 or the history empty.
   */
  addTo(history: ArrayLike<number>, row: Float32Array, weight = this.weight): void {
    if (weight === 0) return;
    const n = this.#votes(history);
    const s = this.#s;
    for (let k = 0; k < n; k++) {
      const j = this.#touched[k];
      // Rounded to float32 first, so the row gets one float32 addition, as the kernel adds it.
      row[j] += Math.fround(weight * Math.log1p(s[j] / this.spec.eps));
      s[j] = 0;
    }
  }

  /** The term {@link addTo} adds to movie `target`'s score for `history`. */
  termOf(history: ArrayLike<number>, target: number): number {
    if (this.weight === 0) return 0;
    const n = this.#votes(history);
    const t = this.#s[target];
    for (let k = 0; k < n; k++) this.#s[this.#touched[k]] = 0;
    return Math.fround(this.weight * Math.log1p(t / this.spec.eps));
  }

  // Accumulates s over the voters into the scratch; returns how many entries it touched.
  #votes(history: ArrayLike<number>): number {
    const { offsets, cols, vals } = this.table;
    const { last, tau } = this.spec;
    const s = this.#s;
    let n = 0;
    for (let d = 0; d < last && d < history.length; d++) {
      const i = history[history.length - 1 - d];
      const w = Math.exp(-d / tau);
      for (let e = offsets[i]; e < offsets[i + 1]; e++) {
        const j = cols[e];
        if (s[j] === 0) this.#touched[n++] = j;
        s[j] += w * vals[e];
      }
    }
    return n;
  }
}
