/** Full-ranking metrics of shared/EVALUATION.md (exact rank with id tie-break, HR/NDCG@10/20, MRR, standard errors) and top-k. */
import { internal, invalid } from "../../errors.ts";
import { historyIndices, type Phase, type Split, targetIndex } from "../../features/split.ts";

/**
 * Anything that scores the universe for a batch of users. `histories[r]` is user r's history
 * as dense indices (what the model may look at, never the target); `out` is row-major
 * `histories.length × V` and must be filled completely. May be async (a kernel in a worker).
 */
export interface Scorer {
  score(histories: readonly Int32Array[], out: Float32Array): void | Promise<void>;
}

/** Mean of each metric over users, and its standard error. */
export interface RankingMetrics {
  users: number;
  hr10: number;
  hr20: number;
  ndcg10: number;
  ndcg20: number;
  mrr: number;
  /**
   * Standard error of each mean: sample standard deviation (divisor n − 1) of the per-user
   * values divided by √n. shared/EVALUATION.md says "standard deviation / √users" without
   * naming the divisor; n − 1 is the unbiased choice and differs from n by < 0.1 % at 610 users.
   */
  se: { hr10: number; hr20: number; ndcg10: number; ndcg20: number; mrr: number };
}

/** Metrics for one phase, with every user's rank (Infinity = held-out item outside the universe). */
export interface PhaseReport extends RankingMetrics {
  phase: Phase;
  /** `ranks[k]` belongs to `split.users[k]`. */
  ranks: Float64Array;
}

/**
 * 1-based rank of `target` among the candidates = all dense indices except `exclude`:
 * `rank = 1 + #{c : s_c > s_t} + #{c : s_c = s_t and c < t}`. Dense index order is movie-id
 * order, so this is the protocol's "ties broken by ascending movie id". The target itself is
 * always ranked, even if listed in `exclude`. A NaN target score is refused; NaN candidates
 * never outrank anything.
 */
export function rankOf(
  scores: Float32Array,
  target: number,
  options: { exclude?: ArrayLike<number> } = {},
): number {
  if (!(Number.isInteger(target) && target >= 0 && target < scores.length)) {
    throw internal(`target index must be in 0..${scores.length - 1}, got ${target}`);
  }
  const st = scores[target];
  if (Number.isNaN(st)) throw internal(`score of target index ${target} is NaN, expected a number`);
  let above = 0;
  for (let c = 0; c < target; c++) if (scores[c] >= st) above++;
  for (let c = target + 1; c < scores.length; c++) if (scores[c] > st) above++;
  // Excluded items were counted above if they outranked the target: take them back out.
  const exclude = options.exclude ?? [];
  const seen = new Set<number>();
  for (let k = 0; k < exclude.length; k++) {
    const c = exclude[k];
    if (c === target || seen.has(c)) continue;
    seen.add(c);
    if (c < target ? scores[c] >= st : scores[c] > st) above--;
  }
  return 1 + above;
}

/** Per-user metric values from ranks (Infinity = miss), then means and standard errors. */
export function metricsFromRanks(ranks: ArrayLike<number>): RankingMetrics {
  const n = ranks.length;
  if (n === 0) throw internal("cannot compute ranking metrics over 0 users, expected at least 1");
  const cols = {
    hr10: [] as number[],
    hr20: [] as number[],
    ndcg10: [] as number[],
    ndcg20: [] as number[],
    mrr: [] as number[],
  };
  for (let k = 0; k < n; k++) {
    const r = ranks[k];
    if (!(r >= 1)) throw internal(`rank ${k} must be >= 1 or Infinity, got ${r}`);
    const gain = 1 / Math.log2(r + 1);
    cols.hr10.push(r <= 10 ? 1 : 0);
    cols.hr20.push(r <= 20 ? 1 : 0);
    cols.ndcg10.push(r <= 10 ? gain : 0);
    cols.ndcg20.push(r <= 20 ? gain : 0);
    cols.mrr.push(1 / r);
  }
  const [hr10, seHr10] = meanSe(cols.hr10);
  const [hr20, seHr20] = meanSe(cols.hr20);
  const [ndcg10, seNdcg10] = meanSe(cols.ndcg10);
  const [ndcg20, seNdcg20] = meanSe(cols.ndcg20);
  const [mrr, seMrr] = meanSe(cols.mrr);
  return {
    users: n,
    hr10,
    hr20,
    ndcg10,
    ndcg20,
    mrr,
    se: { hr10: seHr10, hr20: seHr20, ndcg10: seNdcg10, ndcg20: seNdcg20, mrr: seMrr },
  };
}

/**
 * Ranks every kept user's held-out item for `phase` with `scorer`, `batchSize` users at a time.
 * A held-out item outside the universe is a miss (rank Infinity) and the user still counts.
 * `onScores` sees each user's scores and history (e.g. to take their top-k) before they are reused.
 */
export async function evaluateRanking(
  split: Split,
  scorer: Scorer,
  options: {
    phase: Phase;
    batchSize?: number;
    onScores?: (user: number, scores: Float32Array, history: Int32Array) => void;
  },
): Promise<PhaseReport> {
  const { phase } = options;
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw invalid(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const V = split.universe.size;
  const ranks = new Float64Array(split.users.length);
  const out = new Float32Array(Math.min(batchSize, split.users.length) * V);
  for (let start = 0; start < split.users.length; start += batchSize) {
    const batch = split.users.slice(start, start + batchSize);
    const histories = batch.map((u) => historyIndices(u, phase));
    const view = out.subarray(0, batch.length * V);
    view.fill(Number.NaN);
    await scorer.score(histories, view);
    batch.forEach((u, r) => {
      options.onScores?.(start + r, view.subarray(r * V, (r + 1) * V), histories[r]);
      const t = targetIndex(u, phase);
      ranks[start + r] = t < 0
        ? Infinity
        : rankOf(view.subarray(r * V, (r + 1) * V), t, { exclude: histories[r] });
    });
  }
  return { phase, ranks, ...metricsFromRanks(ranks) };
}

/** Validation then test report for `scorer`, as the trainer, `evaluate` and the promotion gate need. */
export async function evaluateBoth(
  split: Split,
  scorer: Scorer,
  options: { batchSize?: number } = {},
): Promise<{ validation: PhaseReport; test: PhaseReport }> {
  const validation = await evaluateRanking(split, scorer, { ...options, phase: "validation" });
  const test = await evaluateRanking(split, scorer, { ...options, phase: "test" });
  return { validation, test };
}

/**
 * The `k` best candidates (dense indices, best first) with the same order as `rankOf`: higher
 * score first, ties by ascending index (= movie id); `exclude`d items and NaN scores never appear.
 */
export function topK(
  scores: Float32Array,
  k: number,
  options: { exclude?: ArrayLike<number> } = {},
): Int32Array {
  if (!Number.isInteger(k) || k < 1) throw invalid(`k must be a positive integer, got ${k}`);
  const banned = new Uint8Array(scores.length);
  const exclude = options.exclude ?? [];
  for (let j = 0; j < exclude.length; j++) banned[exclude[j]] = 1;
  // A bounded list kept sorted best-first; scanning in index order means an equal score
  // arriving later has a larger id and goes after its equals.
  const best: number[] = [];
  for (let c = 0; c < scores.length; c++) {
    const s = scores[c];
    if (banned[c] || Number.isNaN(s)) continue;
    if (best.length === k && !(s > scores[best[k - 1]])) continue;
    let pos = best.length;
    while (pos > 0 && s > scores[best[pos - 1]]) pos--;
    best.splice(pos, 0, c);
    if (best.length > k) best.pop();
  }
  return Int32Array.from(best);
}

function meanSe(values: number[]): [number, number] {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return [mean, 0];
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return [mean, Math.sqrt(ss / (n - 1)) / Math.sqrt(n)];
}
