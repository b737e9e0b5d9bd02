/** Reference scorers evaluated by the same code as the model: popularity (train interaction counts). */
import type { Split } from "../../features/split.ts";
import type { Scorer } from "./ranking_metrics.ts";

/** How many train interactions each universe item has, by dense index. */
export function popularityCounts(split: Split): Float32Array {
  const counts = new Float32Array(split.universe.size);
  for (const u of split.users) {
    for (const i of u.trainIndices) counts[i]++;
  }
  return counts;
}

/**
 * The popularity baseline of shared/EVALUATION.md: every user gets the train interaction
 * counts as scores; equal counts fall to the protocol's ascending-id tie-break.
 */
export function popularityScorer(split: Split): Scorer {
  const counts = popularityCounts(split);
  return {
    score(histories, out) {
      for (let r = 0; r < histories.length; r++) out.set(counts, r * counts.length);
    },
  };
}
