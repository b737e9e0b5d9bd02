/**
 * Evaluates a trained model on the current data with the protocol of shared/EVALUATION.md, and
 * exports its test-position top-k so anyone can recompute the metrics independently.
 */
import type { ItemUniverse, Split } from "../../features/split.ts";
import { historyIndices } from "../../features/split.ts";
import type { RecommenderModel } from "../model.ts";
import { type Scorer, topK } from "./ranking_metrics.ts";

/**
 * The model as a scorer over `universe`. When the data changed since training, movies the model
 * does not know score −∞ (ranked last, by id) and unknown history movies are ignored.
 */
export function modelScorer(model: RecommenderModel, universe: ItemUniverse): Scorer {
  const same = universe.size === model.size &&
    universe.ids.every((id, i) => id === model.itemIds[i]);
  if (same) return model.scorer();
  const toModel = Int32Array.from(universe.ids, (id) => model.indexOf(id));
  return {
    score(histories, out) {
      const mapped = histories.map((h) =>
        Int32Array.from(h, (i) => toModel[i]).filter((i) => i >= 0)
      );
      const raw = new Float32Array(histories.length * model.size);
      model.scoreInto(mapped, raw);
      for (let r = 0; r < histories.length; r++) {
        for (let i = 0; i < toModel.length; i++) {
          const m = toModel[i];
          out[r * toModel.length + i] = m < 0 ? -Infinity : raw[r * model.size + m];
        }
      }
    },
  };
}

/**
 * TSV lines `user_id<TAB>rank<TAB>movie_id` (rank 1..k) for the test position of every kept user:
 * history = train + validation item, which are excluded; ties by ascending movie id.
 */
export async function exportTopK(
  split: Split,
  scorer: Scorer,
  options: { k: number; batchSize?: number; rawId?: (movieId: number) => number },
): Promise<string> {
  const lines: string[] = [];
  const V = split.universe.size;
  const B = options.batchSize ?? 256;
  for (let s = 0; s < split.users.length; s += B) {
    const users = split.users.slice(s, s + B);
    const histories = users.map((u) => historyIndices(u, "test"));
    const out = new Float32Array(users.length * V);
    await scorer.score(histories, out);
    users.forEach((u, r) => {
      const best = topK(out.subarray(r * V, (r + 1) * V), options.k, { exclude: histories[r] });
      best.forEach((i, rank) => {
        const id = split.universe.ids[i];
        lines.push(`${u.user}\t${rank + 1}\t${options.rawId?.(id) ?? id}`);
      });
    });
  }
  return lines.join("\n") + "\n";
}
