/**
 * Fits a trained network's transition term: the table from the train sequences, the weight the one
 * of {@link TRANSITION_WEIGHTS} with the best validation NDCG@10 (test is never looked at).
 */
import { historyIndices, type Split } from "../../features/split.ts";
import { rankOf } from "../evaluation/ranking_metrics.ts";
import type { Recommender } from "../recommender.ts";
import {
  fitTransitions,
  TRANSITION_WEIGHTS,
  Transitions,
  type TransitionSpec,
  type TransitionTable,
} from "../transitions.ts";

/** The fitted term and the validation NDCG@10 of every weight tried. */
export interface TransitionFit {
  table: TransitionTable;
  spec: TransitionSpec;
  weight: number;
  /** [weight, validation NDCG@10] per weight tried, in {@link TRANSITION_WEIGHTS} order. */
  validation: [number, number][];
}

/**
 * Fits the table on `split`'s train sequences and picks the weight on validation for `model`'s
 * network alone (a model without transitions); ties go to the smaller weight.
 */
export function fitTransitionTerm(
  model: Recommender,
  split: Split,
  spec: TransitionSpec,
  options: { batchSize?: number } = {},
): TransitionFit {
  const V = split.universe.size;
  const table = fitTransitions(split.users.map((u) => u.trainIndices), V, spec);
  const term = new Transitions(table, spec, 1);
  const gains = new Float64Array(TRANSITION_WEIGHTS.length);
  const batchSize = options.batchSize ?? 256;
  const logits = new Float32Array(Math.min(batchSize, split.users.length) * V);
  const row = new Float32Array(V);
  for (let s = 0; s < split.users.length; s += batchSize) {
    const users = split.users.slice(s, s + batchSize);
    const histories = users.map((u) => historyIndices(u, "validation"));
    model.scoreInto(histories, logits);
    users.forEach((u, b) => {
      if (u.valIndex < 0) return;
      TRANSITION_WEIGHTS.forEach((w, k) => {
        row.set(logits.subarray(b * V, (b + 1) * V));
        term.addTo(histories[b], row, w);
        const rank = rankOf(row, u.valIndex, { exclude: histories[b] });
        if (rank <= 10) gains[k] += 1 / Math.log2(rank + 1);
      });
    });
  }
  let best = 0;
  for (let k = 1; k < gains.length; k++) if (gains[k] > gains[best]) best = k;
  const n = Math.max(1, split.users.length);
  return {
    table,
    spec,
    weight: TRANSITION_WEIGHTS[best],
    validation: TRANSITION_WEIGHTS.map((w, k) => [w, gains[k] / n]),
  };
}
