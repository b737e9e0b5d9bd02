/**
 * Recommendations as the API serves them: the model in service (or, for users in the canary,
 * staging) through its micro-batcher, the per-user cache, the popularity fallback for unknown
 * users (or while no model is loaded), and movie details from the in-memory catalogue. Every
 * answer gets an impression id and is logged in memory. Nothing here waits on the database.
 */
import { ReelrankError, unavailable } from "../errors.ts";
import { subjectKey } from "../online/assign.ts";
import { type Arm, newImpressionId } from "../online/impressions.ts";
import type { OnlineServing } from "../online/online_serving.ts";
import type { Metrics } from "../observability/metrics.ts";
import { MODEL_NAME } from "../registry/store.ts";
import type { Catalog, MovieView } from "./catalog.ts";
import type { UserHistories } from "./histories.ts";
import type { ModelHolder, ServedModel } from "./model_holder.ts";
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
  /** production, or staging for a user or visitor in the canary. */
  arm: Exclude<Arm, "browser">;
  items: RecommendedItem[];
}

/** An answer as shown: with the id of its impression (for clicks and watches on it). */
export type ShownAnswer<T = RecommendationAnswer> = T & { impressionId: string };

/** Who is asking: a stored user, a visitor with an id, or nobody known. */
export interface Subject {
  userId?: number;
  visitorId?: string;
}

/** The serving façade used by the API routes. */
export class RecommendationService {
  readonly #holder: ModelHolder;
  readonly #histories: UserHistories;
  readonly #catalog: () => Catalog;
  readonly #metrics: Metrics;
  readonly #online: OnlineServing | undefined;
  readonly #clock: () => Date;
  readonly cache: ResultCache<RecommendationAnswer>;

  constructor(deps: {
    holder: ModelHolder;
    histories: UserHistories;
    catalog: () => Catalog;
    metrics: Metrics;
    cacheEntries?: number;
    /** Impressions, canary and shadow (without it answers get an impression id, logged nowhere). */
    online?: OnlineServing;
    clock?: () => Date;
  }) {
    this.#holder = deps.holder;
    this.#histories = deps.histories;
    this.#catalog = deps.catalog;
    this.#metrics = deps.metrics;
    this.#online = deps.online;
    this.#clock = deps.clock ?? (() => new Date());
    this.cache = new ResultCache({ maxEntries: deps.cacheEntries });
    deps.holder.onSwitch(() => this.cache.clear());
    deps.online?.staging.onSwitch(() => this.cache.clear());
  }

  // The model answering `key`: staging for a subject in the canary, else production (or none).
  #servedFor(key: string | null): { served: ServedModel | null; arm: "production" | "staging" } {
    const staging = this.#online?.canaryFor(key) ?? null;
    if (staging) return { served: staging, arm: "staging" };
    return { served: this.#holder.current, arm: "production" };
  }

  // Gives `answer` an impression id and logs the impression (in memory; written within a second).
  #show<T extends RecommendationAnswer>(
    answer: T,
    who: Subject,
    strategy?: "similar",
  ): ShownAnswer<T> {
    const impressionId = newImpressionId();
    this.#online?.impressions.record({
      id: impressionId,
      model: MODEL_NAME,
      userId: who.userId ?? null,
      visitorId: who.userId === undefined ? who.visitorId ?? null : null,
      version: answer.modelVersion,
      arm: answer.arm,
      strategy: strategy ?? answer.strategy,
      movieIds: answer.items.map((i) => i.id),
      shownAt: this.#clock(),
    });
    return { ...answer, impressionId };
  }

  // Asks staging to rank the same request in the background, for a sample of production answers.
  #shadow(
    key: string | null,
    shown: ShownAnswer,
    request: { history: readonly number[]; o: RecommendOptions },
  ): void {
    if (!this.#online || shown.arm !== "production" || shown.strategy !== "model") return;
    const { history, o } = request;
    this.#online.shadow(key, {
      impressionId: shown.impressionId,
      request: { history, k: o.k, exclude: o.exclude, genre: o.genre },
      production: shown.items.map((i) => i.id),
    });
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

  async #rank(
    history: readonly number[],
    o: RecommendOptions,
    pick: { served: ServedModel | null; arm: "production" | "staging" },
  ): Promise<RecommendationAnswer> {
    const { served, arm } = pick;
    if (!served) {
      const exclude = new Set([...history, ...(o.exclude ?? [])]);
      const popular = this.#catalog().popular(o.k, { exclude, genre: o.genre });
      this.#metrics.recommendationsServed.inc({ strategy: "popularity" });
      return {
        strategy: "popularity",
        modelVersion: null,
        arm: "production",
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
      arm,
      items: this.#items(scored, o.explain),
    };
  }

  /**
   * Top-k for a stored user (watched movies excluded); unknown users get popular movies. The
   * answer's items are shared with the cache (`items` is the same array for a cached answer).
   */
  async forUser(userId: number, o: RecommendOptions): Promise<ShownAnswer> {
    const history = this.#histories.get(userId);
    if (!history) return this.popular(o, { userId });
    const subject = subjectKey({ userId });
    const pick = this.#servedFor(subject);
    // Explained answers are cached under their own key: a plain request never gets `because`.
    const key = `${pick.served?.version.version ?? "-"}|${o.k}|${o.genre ?? ""}|${
      [...(o.exclude ?? [])].sort((a, b) => a - b).join(",")
    }${o.explain ? "|explain" : ""}`;
    const hit = this.cache.get(userId, key);
    this.#metrics.cacheLookups.inc({ result: hit ? "hit" : "miss" });
    if (hit) this.#metrics.recommendationsServed.inc({ strategy: hit.strategy });
    const answer = hit ?? await this.#rank(history, o, pick);
    // Only model answers are cached: a popularity stand-in must not outlive the model's arrival.
    if (!hit && answer.strategy === "model") this.cache.set(userId, { key, value: answer });
    const shown = this.#show(answer, { userId });
    this.#shadow(subject, shown, { history, o });
    return shown;
  }

  /**
   * The most watched movies (of `o.genre`), for someone with no history here: an unknown user, or
   * the visitor's first home page. Shown like any other answer, so it is an impression too.
   */
  popular(o: RecommendOptions, who: Subject = {}): ShownAnswer {
    const popular = this.#catalog().popular(o.k, {
      exclude: new Set(o.exclude ?? []),
      genre: o.genre,
    });
    this.#metrics.recommendationsServed.inc({ strategy: "popularity" });
    return this.#show({
      strategy: "popularity",
      modelVersion: null,
      arm: "production",
      items: this.#items(popular, o.explain),
    }, who);
  }

  /** Top-k for a visitor's history; ids the ranking cannot use are reported, not an error. */
  async forHistory(
    history: readonly number[],
    o: RecommendOptions & { visitorId?: string },
  ): Promise<ShownAnswer<RecommendationAnswer & { unknownIds: number[] }>> {
    const subject = subjectKey({ visitorId: o.visitorId });
    const pick = this.#servedFor(subject);
    const known = pick.served ? pick.served.knows : (id: number) => this.#catalog().has(id);
    const unknownIds = [...new Set(history.filter((id) => !known(id)))];
    const shown = this.#show(
      { ...(await this.#rank(history, o, pick)), unknownIds },
      { visitorId: o.visitorId },
    );
    this.#shadow(subject, shown, { history, o });
    return shown;
  }

  /** Movies watched next after `movieId`, from the model; UNAVAILABLE while none is loaded. */
  async similar(movieId: number, o: RecommendOptions): Promise<ShownAnswer> {
    const served = this.#holder.current;
    if (!served) throw unavailable("no model is loaded yet, so there are no similar movies");
    const scored = await served.scorer.similar(movieId, o.k, {
      genre: o.genre,
      exclude: o.exclude,
    });
    return this.#show(
      {
        strategy: "model",
        modelVersion: served.version.version,
        arm: "production",
        items: this.#items(scored),
      },
      {},
      "similar",
    );
  }

  /**
   * `because` for stored rankings (a batch's lists, by the model `version` that wrote them): each
   * list's movies explained against its user's history now, as an answer with `explain` is.
   * UNAVAILABLE while no model is loaded; CONFLICT when `version` is not the one in service (only
   * the model that ranked a list can say why).
   */
  async explainStored(
    version: number,
    lists: readonly { userId: number; movieIds: readonly number[] }[],
  ): Promise<BecauseItem[][][]> {
    const served = this.#holder.current;
    if (!served) throw unavailable("no model is loaded yet, so nothing can be explained");
    if (served.version.version !== version) {
      throw new ReelrankError(
        "CONFLICT",
        `the batch was ranked by model version ${version} and this server serves version ` +
          `${served.version.version}: only the model that ranked it can explain it; ask without ` +
          "explain, or after the next batch",
      );
    }
    const why = await served.scorer.explain(
      lists.map((l) => ({ history: this.#histories.get(l.userId) ?? [], targets: l.movieIds })),
    );
    const catalog = this.#catalog();
    return why.map((list) =>
      list.map((bs) =>
        bs.flatMap((b) => {
          const title = catalog.get(b.movieId)?.title;
          return title === undefined
            ? []
            : [{ id: b.movieId, title, contribution: b.contribution }];
        })
      )
    );
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
