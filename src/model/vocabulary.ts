/** Helpers every model family shares over its vocabulary: allow masks, unknown movies, the strongest reasons. */
import { notFound } from "../errors.ts";
import type { Because } from "./types.ts";

/** What the helpers need of a model: its size and its id → dense index map. */
export interface Vocabulary {
  readonly size: number;
  indexOf(movieId: number): number;
}

/** A dense-index mask (1 = allowed) of the given movie ids; unknown ids are left out. */
export function maskOf(vocabulary: Vocabulary, movieIds: Iterable<number>): Uint8Array {
  const mask = new Uint8Array(vocabulary.size);
  for (const id of movieIds) {
    const i = vocabulary.indexOf(id);
    if (i >= 0) mask[i] = 1;
  }
  return mask;
}

/** Throws NOT_FOUND when the model does not know `movieId` (before ranking after it alone). */
export function requireKnown(vocabulary: Vocabulary, movieId: number): void {
  if (vocabulary.indexOf(movieId) < 0) {
    throw notFound(`movie ${movieId} is not in the model's ${vocabulary.size}-movie catalogue`);
  }
}

/**
 * The reasons an explanation shows for `target`: positive contributions only, never the target
 * itself, largest first (ties by movie id), at most `max`.
 */
export function strongestReasons(reasons: Because[], target: number, max: number): Because[] {
  return reasons
    .filter((b) => b.contribution > 0 && b.movieId !== target)
    .sort((a, b) => b.contribution - a.contribution || a.movieId - b.movieId)
    .slice(0, max);
}
