/** Choosing a family's hyperparameter on validation NDCG@10 from a small grid (test is never looked at). */
import { invalid } from "../../errors.ts";
import type { Split } from "../../features/split.ts";
import { evaluateRanking } from "../evaluation/ranking_metrics.ts";
import type { RecommenderModel } from "../model.ts";

/** One grid point and how it did. */
export interface Candidate {
  /** The hyperparameter's name, e.g. "lambda" or "k". */
  name: string;
  value: number;
  valNdcg10: number;
  /** Seconds to build and evaluate it. */
  seconds: number;
}

/** What every family trainer takes. */
export interface FitOptions {
  /** Kernel threads (default 1). */
  threads?: number;
  /** The most kernel memory the fit may use (REELRANK_FAMILY_MEMORY_MIB). */
  memoryBytes: number;
  signal?: AbortSignal;
  /** Called after each grid point is evaluated (e.g. to log it as a metric step). */
  onCandidate?: (candidate: Candidate) => void | Promise<void>;
}

/** A trained family model, its chosen hyperparameters and the grid that chose them. */
export interface FamilyFit<M extends RecommenderModel> {
  model: M;
  params: Record<string, number | string>;
  grid: Candidate[];
  /** Wall seconds of the whole search, the final model included. */
  seconds: number;
  /** Seconds of the fastest single fit (EASE's closed form), when the family has one. */
  fitSeconds?: number;
}

/** What a grid evaluates: a candidate's scorer (a model, or a cheaper stand-in with its scores). */
export type Ranker = Pick<RecommenderModel, "scorer">;

/**
 * Builds a model for every value of `values` in turn (each may reuse the previous one's memory)
 * and evaluates it on validation; returns the best value (the first of equals) and every result.
 */
export async function searchGrid(
  split: Split,
  values: readonly number[],
  options: {
    name: string;
    /** What ranks the value's candidate: its model, or anything with the model's scorer. */
    build: (value: number) => Ranker | Promise<Ranker>;
    signal?: AbortSignal;
    onCandidate?: (candidate: Candidate) => void | Promise<void>;
  },
): Promise<{ best: number; results: Candidate[] }> {
  if (values.length === 0) throw invalid(`the ${options.name} grid is empty, expected a value`);
  const results: Candidate[] = [];
  for (const value of values) {
    options.signal?.throwIfAborted();
    const t = performance.now();
    const model = await options.build(value);
    const report = await evaluateRanking(split, model.scorer(), { phase: "validation" });
    const candidate = {
      name: options.name,
      value,
      valNdcg10: report.ndcg10,
      seconds: (performance.now() - t) / 1000,
    };
    results.push(candidate);
    await options.onCandidate?.(candidate);
  }
  const best = results.reduce((b, c) => (c.valNdcg10 > b.valNdcg10 ? c : b));
  return { best: best.value, results };
}
