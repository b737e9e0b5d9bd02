/** What serving needs from a loaded model, wherever it runs (this thread or a worker). */
import type { Because, Scored } from "../model/mod.ts";

/** One history to rank movies for, in raw movie ids. */
export interface RankRequest {
  /** Movie ids, oldest first; ids the model does not know are ignored. */
  history: readonly number[];
  k: number;
  /** Movie ids never to return (the history never is). */
  exclude?: readonly number[];
  /** Only movies of this genre. */
  genre?: string;
  /** Also say which history movies drove each answer (leave-one-out, batched with the others). */
  explain?: boolean;
}

/** A ranked movie; `because` is there when the request asked to explain. */
export interface Ranked extends Scored {
  because?: Because[];
}

/** A loaded model version, answering asynchronously so it can live in a worker. */
export interface ModelScorer {
  /** The movies the model ranks (its vocabulary), ascending. */
  readonly itemIds: Int32Array;
  /** Ranks many histories in one kernel call; answer `i` belongs to request `i`. */
  rank(requests: readonly RankRequest[]): Promise<Ranked[][]>;
  /**
   * Explains given movies (`targets`, e.g. a stored ranking) against a history each, as `rank`
   * with `explain` does its own answers: answer `i`, target `j` explains `requests[i].targets[j]`.
   */
  explain(
    requests: readonly { history: readonly number[]; targets: readonly number[] }[],
  ): Promise<Because[][][]>;
  /** Movies most likely watched after `movieId`; NOT_FOUND when the model does not know it. */
  similar(
    movieId: number,
    k: number,
    options?: { genre?: string; exclude?: readonly number[] },
  ): Promise<Scored[]>;
  /** Frees the model's kernel (and its worker); waits for nothing: callers drain first. */
  close(): Promise<void>;
}

/** What opening a scorer needs besides the verified checkpoint bytes. */
export interface ScorerOptions {
  /** Genre name → movie ids, for the genre filter. */
  genres: Record<string, number[]>;
  /** Kernel threads for this model (default 1). */
  threads?: number;
}

/** Opens a scorer on checkpoint bytes that the registry has verified. */
export type OpenScorer = (bytes: Uint8Array, options: ScorerOptions) => Promise<ModelScorer>;
