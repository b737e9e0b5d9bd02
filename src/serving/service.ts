/**
 * Recommendations as the API serves them: the model in service through its micro-batcher, the
 * per-user cache, the popularity fallback for unknown users (or while no model is loaded), and
 * movie details from the in-memory catalogue. Nothing here waits on the database.
 */
import { unavailable } from "../errors.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Catalog, MovieView } from "./catalog.ts";
import type { UserHistories } from "./histories.ts";
import type { ModelHolder } from "./model_holder.ts";
import { ResultCache } from "./result_cache.ts";
import type { Ranked } from "./scorer.ts";

/** What every recommendation call takes. */
export interface RecommendOptions {
  k: number;
  genre?: string;
  /** Movie ids never to return. */
  exclude?: readonly number[];
  /** Give every item the history movies that drove it (see {@link BecauseItem}). */
  explain?: boolean;
}

/** A history movie behind a recommendation: the score drop when it is left out of the history. */
export interface BecauseItem {
  id: number;
  title: string;
  contribution: number;
}

/** A recommended movie; `because` (at most 3, largest first) when the call asked to explain. */
export interface RecommendedItem extends MovieView {
  score: number;
  because?: BecauseItem[];
}

/** An answer: who ranked it and the movies. */
export interface RecommendationAnswer {
  strategy: "model" | "popularity";
  /** The model version that ranked the items; null for popularity. */
  modelVersion: number | null;
  items: RecommendedItem[];
}

/** The serving façade used by the API routes. */
export class RecommendationService {
  readonly #holder: ModelHolder;
  readonly #histories: UserHistories;
  readonly #catalog: () => Catalog;
  readonly #metrics: Metrics;
  readonly cache: ResultCache<RecommendationAnswer>;

  constructor(deps: {
    holder: ModelHolder;
    histories: UserHistories;
    catalog: () => Catalog;
    metrics: Metrics;
    cacheEntries?: number;
  }) {
    this.#holder = deps.holder;
    this.#histories = deps.histories;
    this.#catalog = deps.catalog;
    this.#metrics = deps.metrics;
    this.cache = new ResultCache({ maxEntries: deps.cacheEntries });
    deps.holder.onSwitch(() => this.cache.clear());
  }

  // Movie details for scored ids; with `explain`, every item gets `because` (empty for popularity).
  #items(scored: readonly Ranked[], explain = false): RecommendedItem[] {
    const catalog = this.#catalog();
    return scored.flatMap((s) => {
      const m = catalog.get(s.movieId);
      if (!m) return [];
      if (!explain) return [{ ...m, score: s.score }];
      const because = (s.because ?? []).flatMap((b) => {
        const title = catalog.get(b.movieId)?.title;
        return title === undefined ? [] : [{ id: b.movieId, title, contribution: b.contribution }];
      });
      return [{ ...m, score: s.score, because }];
    });
  }

  async #rank(history: readonly number[], o: RecommendOptions): Promise<RecommendationAnswer> {
    const served = this.#holder.current;
    if (!served) {
      const exclude = new Set([...history, ...(o.exclude ?? [])]);
      const popular = this.#catalog().popular(o.k, { exclude, genre: o.genre });
      this.#metrics.recommendationsServed.inc({ strategy: "popularity" });
      return {
        strategy: "popularity",
        modelVersion: null,
        items: this.#items(popular, o.explain),
      };
    }
    const scored = await served.batcher.submit({
      history,
      k: o.k,
      exclude: o.exclude,
      genre: o.genre,
      explain: o.explain,
    });
    this.#metrics.recommendationsServed.inc({ strategy: "model" });
    return {
      strategy: "model",
      modelVersion: served.version.version,
      items: this.#items(scored, o.explain),
    };
  }

  /** Top-k for a stored user (watched movies excluded); unknown users get popular movies. */
  async forUser(userId: number, o: RecommendOptions): Promise<RecommendationAnswer> {
    const history = this.#histories.get(userId);
    if (!history) {
      const popular = this.#catalog().popular(o.k, {
        exclude: new Set(o.exclude ?? []),
        genre: o.genre,
      });
      this.#metrics.recommendationsServed.inc({ strategy: "popularity" });
      return {
        strategy: "popularity",
        modelVersion: null,
        items: this.#items(popular, o.explain),
      };
    }
    // Explained answers are cached under their own key: a plain request never gets `because`.
    const key = `${this.#holder.current?.version.version ?? "-"}|${o.k}|${o.genre ?? ""}|${
      [...(o.exclude ?? [])].sort((a, b) => a - b).join(",")
    }${o.explain ? "|explain" : ""}`;
    const hit = this.cache.get(userId, key);
    this.#metrics.cacheLookups.inc({ result: hit ? "hit" : "miss" });
    if (hit) this.#metrics.recommendationsServed.inc({ strategy: hit.strategy });
    if (hit) return hit;
    const answer = await this.#rank(history, o);
    // Only model answers are cached: a popularity stand-in must not outlive the model's arrival.
    if (answer.strategy === "model") this.cache.set(userId, { key, value: answer });
    return answer;
  }

  /** Top-k for a visitor's history; ids the ranking cannot use are reported, not an error. */
  async forHistory(
    history: readonly number[],
    o: RecommendOptions,
  ): Promise<RecommendationAnswer & { unknownIds: number[] }> {
    const served = this.#holder.current;
    const known = served ? served.knows : (id: number) => this.#catalog().has(id);
    const unknownIds = [...new Set(history.filter((id) => !known(id)))];
    return { ...(await this.#rank(history, o)), unknownIds };
  }

  /** Movies watched next after `movieId`, from the model; UNAVAILABLE while none is loaded. */
  async similar(movieId: number, o: RecommendOptions): Promise<RecommendationAnswer> {
    const served = this.#holder.current;
    if (!served) throw unavailable("no model is loaded yet, so there are no similar movies");
    const scored = await served.scorer.similar(movieId, o.k, {
      genre: o.genre,
      exclude: o.exclude,
    });
    return { strategy: "model", modelVersion: served.version.version, items: this.#items(scored) };
  }

  /** Folds a stored event into memory: the user's history and cache, the popularity counts. */
  applyEvent(e: { userId: number; movieId: number; timestamp: number }): void {
    if (this.#histories.add(e.userId, { movie: e.movieId, ts: e.timestamp })) {
      this.#catalog().bump(e.movieId);
    }
    this.cache.dropUser(e.userId);
  }

  /** Replaces a user's history with the stored one (an event another server took). */
  refreshUser(userId: number, entries: readonly { movie: number; ts: number }[]): void {
    this.#histories.replace(userId, entries);
    this.cache.dropUser(userId);
  }
}
