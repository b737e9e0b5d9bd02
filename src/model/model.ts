/**
 * What every model family gives the serving path, evaluation, explanations and the registry: the
 * next-item network (`Recommender`, family "mlp") and the item-to-item families (EASE, ItemKNN)
 * all implement {@link RecommenderModel}.
 */
import type { Scorer } from "./evaluation/ranking_metrics.ts";
import type { Because, RecommendRequest, Scored } from "./types.ts";

/** The model families reelrank trains, as named in checkpoints, runs and the registry. */
export const FAMILIES = ["mlp", "ease", "itemknn"] as const;

/** A model family. */
export type Family = (typeof FAMILIES)[number];

/** A trained model of any family, ranking the movies of its vocabulary for a history. */
export interface RecommenderModel {
  readonly family: Family;
  /** Movie ids by dense index (the item universe, ascending). */
  readonly itemIds: Int32Array;
  /** Lineage from the checkpoint's manifest (run id, snapshot id, …). */
  readonly info: Record<string, unknown>;
  /** Number of items the model ranks. */
  readonly size: number;
  /** Dense index of a movie id, or -1 when the model does not know the movie. */
  indexOf(movieId: number): number;
  /** Scores over the universe for histories of dense indices, row-major into `out`. */
  scoreInto(histories: readonly ArrayLike<number>[], out: Float32Array): void;
  /** The evaluation view of {@link scoreInto}. */
  scorer(): Scorer;
  /** Top-`k` movies for a history of movie ids (oldest first), never one already watched. */
  recommend(
    history: readonly number[],
    k: number,
    options?: Omit<RecommendRequest, "history" | "k">,
  ): Scored[];
  /** Several histories at once (the micro-batcher's entry point). */
  recommendMany(requests: readonly RecommendRequest[]): Scored[][];
  /** Movies ranked first after `movieId` alone; NOT_FOUND when the model does not know it. */
  similar(
    movieId: number,
    k: number,
    options?: Omit<RecommendRequest, "history" | "k">,
  ): Scored[];
  /** Per target, the history movies that raise its score most (up to `max`, default 3). */
  explain(
    history: readonly number[],
    targets: readonly number[],
    options?: { max?: number },
  ): Because[][];
  /** {@link explain} for many histories at once: answer `i`, target `j` explains `requests[i].targets[j]`. */
  explainMany(
    requests: readonly { history: readonly number[]; targets: readonly number[] }[],
    options?: { max?: number },
  ): Because[][][];
  /** A dense-index mask (1 = allowed) of the given movie ids. */
  maskOf(movieIds: Iterable<number>): Uint8Array;
  /** FLOP (or memory reads, for table look-ups) of scoring one history of `length` movies. */
  flopPerHistory(length?: number): number;
  /** The checkpoint bytes, with `info` merged into the manifest's lineage. */
  save(info?: Record<string, unknown>): Promise<Uint8Array>;
  /** Releases the kernel the model owns, if any. Idempotent. */
  close(): void;
}
