/** A scorer on this thread: the model (any family) in its own kernel, genre masks built once per genre. */
import {
  openModel,
  type RecommenderModel,
  type RecommendRequest,
  type Scored,
} from "../model/mod.ts";
import type { ModelScorer, Ranked, RankRequest, ScorerOptions } from "./scorer.ts";

/** Ranks requests with a recommender, turning genres into allow masks (cached per genre). */
export class MaskedRanker {
  readonly #model: RecommenderModel;
  readonly #genres: Record<string, number[]>;
  readonly #masks = new Map<string, Uint8Array>();

  constructor(model: RecommenderModel, genres: Record<string, number[]>) {
    this.#model = model;
    this.#genres = genres;
  }

  #mask(genre: string): Uint8Array {
    let m = this.#masks.get(genre);
    if (!m) this.#masks.set(genre, m = this.#model.maskOf(this.#genres[genre] ?? []));
    return m;
  }

  #request(r: RankRequest): RecommendRequest {
    return {
      history: r.history,
      k: r.k,
      exclude: r.exclude,
      allow: r.genre === undefined ? undefined : this.#mask(r.genre),
    };
  }

  /** Ranks every request in batched calls; those that ask are explained in one more batch. */
  rank(requests: readonly RankRequest[]): Ranked[][] {
    const ranked: Ranked[][] = this.#model.recommendMany(requests.map((r) => this.#request(r)));
    const asked = requests.flatMap((r, i) => r.explain ? [i] : []);
    if (asked.length === 0) return ranked;
    const why = this.#model.explainMany(asked.map((i) => ({
      history: requests[i].history,
      targets: ranked[i].map((s) => s.movieId),
    })));
    asked.forEach((i, j) => ranked[i].forEach((s, t) => s.because = why[j][t]));
    return ranked;
  }

  similar(
    movieId: number,
    k: number,
    options: { genre?: string; exclude?: readonly number[] } = {},
  ): Scored[] {
    const { exclude, allow } = this.#request({ history: [], k, ...options });
    return this.#model.similar(movieId, k, { exclude, allow });
  }
}

/** Opens `bytes` in a kernel of its own on this thread: scoring blocks the event loop. */
export async function openLocalScorer(
  bytes: Uint8Array,
  options: ScorerOptions,
): Promise<ModelScorer> {
  const model = await openModel(bytes, { threads: options.threads ?? 1 });
  const ranker = new MaskedRanker(model, options.genres);
  return {
    itemIds: model.itemIds,
    rank: (requests) => Promise.resolve().then(() => ranker.rank(requests)),
    similar: (movieId, k, opts) => Promise.resolve().then(() => ranker.similar(movieId, k, opts)),
    explain: (requests) => Promise.resolve().then(() => model.explainMany(requests)),
    close: () => Promise.resolve(model.close()),
  };
}
