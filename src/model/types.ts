/**
 * The values every model family and its callers exchange: scored movies, explanations and ranking
 * requests. Kept apart from the families (and importing nothing) so that model.ts, recommender.ts
 * and vocabulary.ts can share them without importing each other.
 */

/** A movie and its model score (higher ranks first). */
export interface Scored {
  movieId: number;
  score: number;
}

/** A history movie's share of a recommendation: how much the score drops without that movie. */
export interface Because {
  movieId: number;
  contribution: number;
}

/** One history to rank movies for, with what must not be returned. */
export interface RecommendRequest {
  /** Movie ids, oldest first; ids the model does not know are ignored. */
  history: readonly number[];
  k: number;
  /** Movie ids never to return (the history is always excluded). */
  exclude?: readonly number[];
  /** Allowed movies by dense index (1 = may be returned), e.g. a genre from `RecommenderModel.maskOf`. */
  allow?: Uint8Array;
}
