/**
 * Online evaluation inside a server: the impression log, the `staging` model loaded while a canary
 * or a shadow needs it, the arm each user or visitor falls in, shadow rankings off the request
 * path, and the optional automatic promotion (checked every minute).
 */
import type { Database } from "../db/types.ts";
import { insertRows } from "../db/bulk.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { MODEL_NAME, type ModelRegistry } from "../registry/store.ts";
import type { ModelHolder, ServedModel } from "../serving/model_holder.ts";
import { ProductionWatcher } from "../serving/reload.ts";
import type { RankRequest } from "../serving/scorer.ts";
import { inShare } from "./assign.ts";
import {
  type CanarySettings,
  DEFAULT_CANARY,
  getCanary,
  promoteStaging,
  STAGING,
} from "./canary.ts";
import { judgeCanary } from "./canary_rule.ts";
import { ImpressionLog, sliceRowsFor } from "./impressions.ts";
import { RowBuffer } from "./row_buffer.ts";

const log = getLogger("online");

/** Shadow rankings running at once at most; more are skipped (and counted), never queued. */
const MAX_SHADOW_IN_FLIGHT = 32;

interface ShadowRow {
  impressionId: string;
  stagingVersion: number;
  movieIds: number[];
  overlap10: number;
  at: Date;
}

/** Options of {@link OnlineServing}. */
export interface OnlineOptions {
  metrics: Metrics;
  clock: () => Date;
  /** Impressions held in memory at most (REELRANK_IMPRESSION_BUFFER). */
  impressionBuffer?: number;
  /** Flush period of impressions and shadow lists (default 1,000 ms; 0: on close and when full). */
  flushMs?: number;
  /** Poll period of the staging alias and the settings (default 5 s; 0: notifications only). */
  pollMs?: number;
  /** Period of the automatic promotion check (default 60 s; 0: never on a timer). */
  autoPromoteMs?: number;
  /** Called after an automatic promotion (the server re-checks production at once). */
  onPromoted?: () => Promise<unknown>;
}

/** Overlap@10: the share of `a`'s first 10 that `b`'s first 10 holds. */
export function overlapAt10(a: readonly number[], b: readonly number[]): number {
  const top = a.slice(0, 10);
  if (top.length === 0) return 0;
  const other = new Set(b.slice(0, 10));
  return top.filter((id) => other.has(id)).length / top.length;
}

/** The online side of one server. */
export class OnlineServing {
  readonly impressions: ImpressionLog;
  readonly staging: ModelHolder;
  readonly #watcher: ProductionWatcher;
  readonly #db: Database;
  readonly #registry: ModelRegistry;
  readonly #o: OnlineOptions;
  readonly #shadow: RowBuffer<ShadowRow>;
  #settings: CanarySettings = { ...DEFAULT_CANARY };
  #inFlight = new Set<Promise<void>>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    deps: { db: Database; registry: ModelRegistry; staging: ModelHolder },
    options: OnlineOptions,
  ) {
    this.#db = deps.db;
    this.#registry = deps.registry;
    this.#o = options;
    this.staging = deps.staging;
    const m = options.metrics;
    // On PGlite the inserts run on this thread: small statements, requests answered in between.
    const sliceRows = sliceRowsFor(deps.db.kind);
    this.impressions = new ImpressionLog(deps.db, {
      metrics: m,
      maxRows: options.impressionBuffer,
      flushMs: options.flushMs,
      sliceRows,
    });
    this.#shadow = new RowBuffer({
      write: (rows) => insertShadowLists(deps.db, rows),
      maxRows: options.impressionBuffer,
      flushMs: options.flushMs,
      sliceRows,
      onDrop: (reason, n) => m.shadowSkipped.inc({ reason }, n),
      onWrite: (n) => m.shadowLists.inc(n),
    });
    this.#watcher = new ProductionWatcher(deps.staging, {
      registry: deps.registry,
      db: deps.db,
      metrics: m,
      clock: options.clock,
      pollMs: options.pollMs,
      alias: STAGING,
      wanted: async () => {
        await this.refresh();
        return this.#settings.share > 0 || this.#settings.shadowShare > 0;
      },
    });
  }

  /** The canary settings this server follows. */
  get settings(): CanarySettings {
    return this.#settings;
  }

  /** Reads the settings and the staging alias, and follows both until close(). */
  async start(): Promise<void> {
    await this.#watcher.start();
    const ms = this.#o.autoPromoteMs ?? 60_000;
    if (ms > 0) {
      this.#timer = setInterval(() => void this.autoPromote(), ms);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Re-reads the stored settings (also done on every staging check). */
  async refresh(): Promise<CanarySettings> {
    try {
      this.#settings = await getCanary(this.#db, MODEL_NAME);
    } catch (err) {
      log.warn("could not read the canary settings; keeping the last ones", { error: err });
    }
    this.#o.metrics.canaryShare.set(this.#settings.share);
    this.#o.metrics.shadowShare.set(this.#settings.shadowShare);
    return this.#settings;
  }

  /** Re-checks the staging alias and the settings now (after an admin change in this process). */
  check(): Promise<unknown> {
    return this.#watcher.check();
  }

  /** The staging model when the subject is in the canary and staging is loaded, else null. */
  canaryFor(key: string | null): ServedModel | null {
    const staging = this.staging.current;
    if (!staging || !inShare(key, this.#settings.share)) return null;
    return staging;
  }

  /**
   * Ranks `request` with staging as well, off the request path, for a sample of production
   * answers; the list is recorded under the impression (not shown).
   */
  shadow(
    key: string | null,
    job: { impressionId: string; request: RankRequest; production: readonly number[] },
  ): void {
    const staging = this.staging.current;
    const share = this.#settings.shadowShare;
    // Visitors without an id are sampled by their impression id: still a fair sample of traffic.
    if (!staging || !inShare(key ?? job.impressionId, share, "shadow")) return;
    if (this.#inFlight.size >= MAX_SHADOW_IN_FLIGHT) {
      this.#o.metrics.shadowSkipped.inc({ reason: "busy" });
      return;
    }
    const done: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(() => staging.batcher.submit({ ...job.request, explain: false }))
      .then((ranked) => {
        const ids = ranked.map((r) => r.movieId);
        this.#shadow.add({
          impressionId: job.impressionId,
          stagingVersion: staging.version.version,
          movieIds: ids,
          overlap10: overlapAt10(job.production, ids),
          at: this.#o.clock(),
        });
      })
      .catch((err) => {
        this.#o.metrics.shadowSkipped.inc({ reason: "error" });
        log.warn("a shadow ranking failed", { error: err });
      })
      .finally(() => this.#inFlight.delete(done));
    this.#inFlight.add(done);
  }

  /** Applies the promotion rule when auto-promotion is on; true when it promoted. */
  async autoPromote(): Promise<boolean> {
    try {
      const settings = await this.refresh();
      if (!settings.autoPromote || settings.share <= 0) return false;
      const verdict = await judgeCanary({ db: this.#db, registry: this.#registry }, MODEL_NAME);
      if (!verdict.promote) return false;
      await promoteStaging({ registry: this.#registry }, MODEL_NAME, {
        reason: `canary rule: ${verdict.reason}`,
        now: this.#o.clock(),
      });
      log.info("staging promoted by the canary rule", { reason: verdict.reason });
      await this.#o.onPromoted?.();
      await this.check();
      return true;
    } catch (err) {
      log.warn("the automatic canary check failed", { error: err });
      return false;
    }
  }

  /** Waits for shadow rankings in progress and writes what is waiting. */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
    await Promise.all([this.impressions.flush(), this.#shadow.flush()]);
  }

  /** Stops following, writes the last impressions and shadow lists, frees staging. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#watcher.stop();
    await Promise.all([...this.#inFlight]);
    await Promise.all([this.impressions.close(), this.#shadow.close()]);
    await this.staging.close();
  }
}

async function insertShadowLists(db: Database, rows: readonly ShadowRow[]): Promise<void> {
  await insertRows(db, "shadow_lists", {
    columns: {
      impression_id: "text",
      staging_version: "int4",
      movie_ids: "int8[]",
      overlap10: "float4",
      at: "timestamptz",
    },
    rows: rows.map((
      r,
    ) => [r.impressionId, r.stagingVersion, r.movieIds, r.overlap10, r.at.toISOString()]),
    onConflict: { target: ["impression_id"] },
  });
}
