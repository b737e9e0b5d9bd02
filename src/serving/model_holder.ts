/**
 * The model in service, swapped atomically: a new version is loaded and verified beside the old
 * one, then replaces it; requests already queued on the old one finish there before it is freed.
 */
import { getLogger } from "../log.ts";
import {
  MODEL_NAME,
  type ModelRegistry,
  type ModelVersion,
  PRODUCTION,
} from "../registry/store.ts";
import { type Metrics, setModelInfo } from "../observability/metrics.ts";
import { MicroBatcher } from "./batcher.ts";
import type { ModelScorer, OpenScorer, Ranked, RankRequest } from "./scorer.ts";

const log = getLogger("serving/model_holder");

/** A loaded version with its micro-batcher. */
export interface ServedModel {
  version: ModelVersion;
  scorer: ModelScorer;
  batcher: MicroBatcher<RankRequest, Ranked[]>;
  /** True when the model ranks `movieId`. */
  knows(movieId: number): boolean;
}

/** What the holder needs. */
export interface ModelHolderOptions {
  registry: ModelRegistry;
  openScorer: OpenScorer;
  /** Genre name → movie ids at load time (for the genre masks). */
  genres: () => Record<string, number[]>;
  metrics: Metrics;
  /** Largest micro-batch (default 64). */
  maxBatch?: number;
  /** Kernel threads per loaded model (default 1). */
  threads?: number;
  /** The alias it serves (default production); only production sets the model-info gauges. */
  alias?: string;
}

/** Holds at most one served model and switches it without dropping a request. */
export class ModelHolder {
  readonly #o: ModelHolderOptions;
  #current: ServedModel | null = null;
  #listeners: ((m: ServedModel) => void | Promise<void>)[] = [];
  #retiring = new Set<Promise<void>>();

  constructor(options: ModelHolderOptions) {
    this.#o = options;
  }

  /** The model answering now, or null before the first successful load. */
  get current(): ServedModel | null {
    return this.#current;
  }

  /** Runs `fn` after every switch (cache drops, catalogue refresh). */
  onSwitch(fn: (m: ServedModel) => void | Promise<void>): void {
    this.#listeners.push(fn);
  }

  /**
   * Loads `version` of the served model (size and sha256 verified by the registry), then makes it
   * current. Throws (CORRUPT, NOT_FOUND, …) without touching the model in service.
   */
  async load(version: number): Promise<ServedModel> {
    const { version: v, bytes } = await this.#o.registry.loadArtifact(MODEL_NAME, version);
    const scorer = await this.#o.openScorer(bytes, {
      genres: this.#o.genres(),
      threads: this.#o.threads,
    });
    const known = new Set(scorer.itemIds);
    const m = this.#o.metrics;
    const served: ServedModel = {
      version: v,
      scorer,
      batcher: new MicroBatcher((batch) => scorer.rank(batch), {
        maxBatch: this.#o.maxBatch,
        onBatch: (size, seconds) => {
          m.inferenceBatchHistories.observe(size);
          m.inferenceBatchDuration.observe(seconds);
        },
      }),
      knows: (id) => known.has(id),
    };
    const old = this.#current;
    this.#current = served;
    const production = (this.#o.alias ?? PRODUCTION) === PRODUCTION;
    if (production) {
      m.modelSwitches.inc();
      setModelInfo(m, v);
    }
    log.info("model in service", {
      alias: this.#o.alias ?? PRODUCTION,
      version: v.version,
      previous: old?.version.version ?? null,
    });
    if (old) this.#retire(old);
    // The switch has happened: a follower that fails (a catalogue refresh) is logged, not thrown,
    // so the version is not mistaken for one that failed to load.
    for (const fn of this.#listeners) {
      try {
        await fn(served);
      } catch (err) {
        log.error("a model-switch follower failed", { version: v.version, error: err });
      }
    }
    return served;
  }

  #retire(old: ServedModel): void {
    const done = old.batcher.drained().then(() => old.scorer.close()).catch((err) =>
      log.error("could not free a retired model", { version: old.version.version, error: err })
    ).finally(() => this.#retiring.delete(done));
    this.#retiring.add(done);
  }

  /** Stops serving the current model (the alias was removed); it is freed once its queue drains. */
  unload(): void {
    const cur = this.#current;
    this.#current = null;
    if (cur) this.#retire(cur);
  }

  /** Frees the model in service and any still retiring. */
  async close(): Promise<void> {
    const cur = this.#current;
    this.#current = null;
    if (cur) this.#retire(cur);
    await Promise.all([...this.#retiring]);
  }
}
