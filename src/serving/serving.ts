/**
 * Starts serving: histories and catalogue in memory, the production model loaded (and staging
 * while a canary or shadow needs it), the aliases and events followed, impressions logged.
 */
import type { Database } from "../db/types.ts";
import { getUserEntries, loadAllMovies } from "../data/catalog_queries.ts";
import { EVENT_CHANNEL } from "../data/events.ts";
import { loadInteractions } from "../data/queries.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { STAGING } from "../online/canary.ts";
import { OnlineServing } from "../online/online_serving.ts";
import type { ModelRegistry } from "../registry/store.ts";
import { Catalog } from "./catalog.ts";
import { UserHistories } from "./histories.ts";
import { ModelHolder } from "./model_holder.ts";
import { ProductionWatcher } from "./reload.ts";
import type { OpenScorer } from "./scorer.ts";
import { RecommendationService } from "./service.ts";
import { openWorkerScorer } from "./worker_scorer.ts";

const log = getLogger("serving");

/** A running serving core. */
export interface Serving {
  recommendations: RecommendationService;
  holder: ModelHolder;
  watcher: ProductionWatcher;
  /** Impressions, the staging canary and shadow. */
  online: OnlineServing;
  histories: UserHistories;
  catalog(): Catalog;
  /** The version in service, or null. */
  version(): number | null;
  /** Null when a model is in service, else why not (for /ready). */
  problem(): string | null;
  close(): Promise<void>;
}

/** Options of {@link startServing}. */
export interface ServingOptions {
  metrics: Metrics;
  clock: () => Date;
  /** Where models run (default: one worker per loaded version). */
  openScorer?: OpenScorer;
  maxBatch?: number;
  pollMs?: number;
  threads?: number;
  /** Impressions held in memory at most (REELRANK_IMPRESSION_BUFFER, default 10,000). */
  impressionBuffer?: number;
  /** Flush period of impressions (default 1,000 ms; 0: only when a batch is full and on close). */
  flushMs?: number;
  /** Period of the automatic canary promotion check (default 60 s; 0: never on a timer). */
  autoPromoteMs?: number;
}

/**
 * Loads every user's history and the movie catalogue, then the production model (a failure is
 * logged and counted; the server answers with popularity until a model loads), and follows alias
 * moves and other servers' events until `close()`.
 */
export async function startServing(
  deps: { db: Database; registry: ModelRegistry },
  options: ServingOptions,
): Promise<Serving> {
  const { db } = deps;
  const histories = UserHistories.fromColumns(await loadInteractions(db));
  let catalog = new Catalog(await loadAllMovies(db), histories.counts());
  // Production and staging load and score alike; only the alias they follow differs.
  const holderOptions = {
    registry: deps.registry,
    openScorer: options.openScorer ?? openWorkerScorer,
    genres: () => catalog.genres(),
    metrics: options.metrics,
    maxBatch: options.maxBatch,
    threads: options.threads,
  };
  const holder = new ModelHolder(holderOptions);
  // A new version may come with new movies (a newer ingest): refresh the display data with it.
  holder.onSwitch(async () => {
    catalog = new Catalog(await loadAllMovies(db), histories.counts());
  });
  const staging = new ModelHolder({ ...holderOptions, alias: STAGING });
  const online = new OnlineServing({ db, registry: deps.registry, staging }, {
    metrics: options.metrics,
    clock: options.clock,
    impressionBuffer: options.impressionBuffer,
    flushMs: options.flushMs,
    pollMs: options.pollMs,
    autoPromoteMs: options.autoPromoteMs,
    onPromoted: () => watcher.check(),
  });
  const recommendations = new RecommendationService({
    holder,
    histories,
    catalog: () => catalog,
    metrics: options.metrics,
    online,
    clock: options.clock,
  });
  const unlistenEvents = await db.listen(EVENT_CHANNEL, (payload) => {
    const userId = Number(payload);
    if (!Number.isInteger(userId)) return;
    getUserEntries(db, userId).then((entries) => recommendations.refreshUser(userId, entries))
      .catch((err) =>
        log.warn("could not refresh a user after an event", { user: userId, error: err })
      );
  });
  const watcher = new ProductionWatcher(holder, {
    registry: deps.registry,
    db,
    metrics: options.metrics,
    clock: options.clock,
    pollMs: options.pollMs,
  });
  await watcher.start();
  await online.start();
  return {
    recommendations,
    holder,
    watcher,
    online,
    histories,
    catalog: () => catalog,
    version: () => holder.current?.version.version ?? null,
    problem: () => (holder.current ? null : watcher.lastProblem ?? "no model loaded"),
    async close() {
      await watcher.stop();
      await unlistenEvents();
      // The last impressions are written before the models go (at most a second's worth waits).
      await online.close();
      await holder.close();
    },
  };
}
