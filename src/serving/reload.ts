/**
 * Follows the `production` alias: a NOTIFY from any process (or this one, on PGlite) and a short
 * poll both trigger a check; a version that fails to load is logged and counted, and the model
 * in service stays. A failed version is tried again only after `retryMs`.
 */
import type { Database } from "../db/types.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { ALIAS_CHANNEL, MODEL_NAME, type ModelRegistry, PRODUCTION } from "../registry/store.ts";
import type { ModelHolder } from "./model_holder.ts";

const log = getLogger("serving/reload");

/** Options of {@link ProductionWatcher}. */
export interface WatcherOptions {
  registry: ModelRegistry;
  db: Pick<Database, "listen">;
  metrics: Metrics;
  clock: () => Date;
  /** Poll period, in case a notification is lost (default 5 s; 0 turns polling off). */
  pollMs?: number;
  /** Wait before trying a version that failed again (default 60 s). */
  retryMs?: number;
  /** The alias followed (default production). */
  alias?: string;
  /**
   * Whether the alias's version should be loaded now (default always); when false the holder
   * unloads. The staging watcher loads staging only while a canary or shadow needs it.
   */
  wanted?: () => boolean | Promise<boolean>;
}

/** What the last check found. */
export type CheckOutcome = "unchanged" | "switched" | "failed" | "no-production" | "skipped";

/** Keeps a {@link ModelHolder} on the production version. */
export class ProductionWatcher {
  readonly #holder: ModelHolder;
  readonly #o: WatcherOptions;
  #failed = new Map<number, number>();
  #running: Promise<CheckOutcome> | null = null;
  #again = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #stopped = false;
  /** Why no model is in service, for /ready; null once one is. */
  lastProblem: string | null = "no model loaded yet";

  constructor(holder: ModelHolder, options: WatcherOptions) {
    this.#holder = holder;
    this.#o = options;
  }

  /** Loads production now, then follows the alias until {@link stop}. */
  async start(): Promise<CheckOutcome> {
    try {
      this.#unlisten = await this.#o.db.listen(ALIAS_CHANNEL, (model) => {
        if (model === MODEL_NAME) void this.check();
      });
    } catch (err) {
      log.warn("cannot LISTEN for alias moves; following them by polling only", { error: err });
    }
    const pollMs = this.#o.pollMs ?? 5_000;
    if (pollMs > 0) this.#timer = setInterval(() => void this.check(), pollMs);
    return await this.check();
  }

  /** Compares the alias with the model in service and switches when they differ (one check at a time). */
  check(): Promise<CheckOutcome> {
    // A notification already on its way when stop() ran must not start a check afterwards.
    if (this.#stopped) return Promise.resolve("skipped");
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#check().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.check();
      }
    });
    return this.#running;
  }

  async #check(): Promise<CheckOutcome> {
    let target;
    try {
      target = await this.#o.registry.getAlias(MODEL_NAME, this.#o.alias ?? PRODUCTION);
      if (target && this.#o.wanted && !(await this.#o.wanted())) target = null;
    } catch (err) {
      log.warn("could not read the alias", { alias: this.#o.alias ?? PRODUCTION, error: err });
      return "skipped";
    }
    const current = this.#holder.current?.version.version;
    if (!target && this.#o.alias !== undefined && this.#o.alias !== PRODUCTION) {
      // Staging removed or no longer needed: free it (production is never unloaded this way).
      if (current !== undefined) this.#holder.unload();
      return "no-production";
    }
    if (!target) {
      if (current === undefined) this.lastProblem = "no production model: train one first";
      return "no-production";
    }
    if (target.version === current) return "unchanged";
    const failedAt = this.#failed.get(target.version);
    const now = this.#o.clock().getTime();
    if (failedAt !== undefined && now - failedAt < (this.#o.retryMs ?? 60_000)) return "skipped";
    try {
      await this.#holder.load(target.version);
      this.#failed.delete(target.version);
      this.lastProblem = null;
      return "switched";
    } catch (err) {
      this.#failed.set(target.version, now);
      const code = (err as { code?: string }).code ?? "UNKNOWN";
      this.#o.metrics.modelLoadFailures.inc({ reason: code });
      log.error("could not load the aliased model; the previous one keeps serving", {
        alias: this.#o.alias ?? PRODUCTION,
        version: target.version,
        serving: current ?? null,
        error: err,
        cause: (err as Error).cause,
      });
      if (current === undefined) {
        this.lastProblem = `production version ${target.version} failed to load (${code})`;
      }
      return "failed";
    }
  }

  /** Stops listening and polling; waits for a check in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#unlisten?.();
    await this.#running;
  }
}
