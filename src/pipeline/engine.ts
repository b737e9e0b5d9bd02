/**
 * The pipeline engine of one process: starts runs of its DAGs (at most one active per DAG in the
 * whole database), executes them in the background, reaps runs whose process died, keeps the
 * pipeline metrics, and answers the read side (runs, attempts, logs) for the API and the site.
 */
import { invalid, ReelrankError } from "../errors.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { type Dag, downstreamOf, type Json } from "./dag.ts";
import { resolveParams } from "./params.ts";
import { executeRun, realTimers, type RunEvent, type Timers } from "./runner.ts";
import { type DagInfo, dagInfo, type PipelineService, type TriggerOptions } from "./service.ts";
import type { Attempt, ListRunsOptions, LogLine, PipelineRun, PipelineStore } from "./store.ts";

const log = getLogger("pipeline/engine");

/** Options of {@link PipelineEngine}. */
export interface EngineOptions<D> {
  store: PipelineStore;
  dags: readonly Dag<D>[];
  /** What the tasks get as `ctx.deps`. */
  deps: D;
  metrics: Metrics;
  clock?: () => Date;
  timers?: Timers;
  /** Heartbeat period of an executing run (default 10 s). */
  heartbeatMs?: number;
  /**
   * An active run silent for longer is taken for dead and marked failed before a new run starts
   * (default 5 min: a training epoch on one thread can hold the event loop for a while).
   */
  staleAfterMs?: number;
  /**
   * True when no other process can execute runs on this database (PGlite: the data-folder lock
   * proves it), so every active run found at start belongs to a dead process.
   */
  exclusive?: boolean;
  host?: string;
  pid?: number;
}

/** `20260101T030000Z`: a logical date in ids and keys. */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

/** The engine; `start()` before use, `close()` at the end. */
export class PipelineEngine<D> implements PipelineService {
  readonly #o: EngineOptions<D>;
  readonly #dags: Map<string, Dag<D>>;
  readonly #clock: () => Date;
  readonly #active = new Map<string, { stop: AbortController; done: Promise<PipelineRun> }>();
  readonly #listeners = new Map<string, Set<(e: RunEvent) => void>>();

  constructor(options: EngineOptions<D>) {
    this.#o = options;
    this.#dags = new Map(options.dags.map((d) => [d.id, d]));
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Marks runs whose process died as failed and sets each DAG's last-success gauge from the
   * database, so a restarted process does not lose it.
   */
  async start(): Promise<void> {
    await this.reap({ all: this.#o.exclusive });
    const last = await this.#o.store.lastSuccess();
    for (const [dag, at] of Object.entries(last)) {
      this.#o.metrics.pipelineLastSuccess.set({ dag }, at.getTime() / 1000);
    }
    for (const dag of this.#dags.keys()) this.#o.metrics.pipelineRunActive.set({ dag }, 0);
  }

  /**
   * Marks failed the active runs that no process executes any more; returns their ids. Runs this
   * engine is executing are never among them: a long synchronous stretch (a training epoch) can
   * hold back their heartbeat past the threshold, yet they are alive.
   */
  async reap(options: { all?: boolean } = {}): Promise<string[]> {
    const staleMs = this.#o.staleAfterMs ?? 5 * 60_000;
    const now = this.#clock();
    const ids = await this.#o.store.reapStale({
      now,
      keep: [...this.#active.keys()],
      maxAgeMs: options.all ? undefined : staleMs,
      reason: options.all
        ? "its process stopped without finishing it (found active when the database was opened again)"
        : `no heartbeat for more than ${
          staleMs / 1000
        } s before ${now.toISOString()}; its process probably died`,
    });
    if (ids.length) log.warn("marked abandoned pipeline runs as failed", { runs: ids });
    return ids;
  }

  dags(): DagInfo[] {
    return [...this.#dags.values()].map(dagInfo);
  }

  #dag(id: string): Dag<D> {
    const dag = this.#dags.get(id);
    if (!dag) {
      throw invalid(`unknown DAG "${id}"; DAGs are ${[...this.#dags.keys()].join(", ")}`);
    }
    return dag;
  }

  /** Starts a run in the background and returns its id; CONFLICT while the DAG has an active run. */
  async trigger(options: TriggerOptions): Promise<string> {
    return (await this.#begin(options)).id;
  }

  /** Starts a run and waits for its end; `onEvent` sees its progress. */
  async run(options: TriggerOptions, onEvent?: (e: RunEvent) => void): Promise<PipelineRun> {
    const run = await this.#begin(options, onEvent);
    return await this.#active.get(run.id)?.done ?? await this.#o.store.getRun(run.id);
  }

  /** Follows a run executing in this process (its events until it ends); false when it is not here. */
  follow(runId: string, onEvent: (e: RunEvent) => void): boolean {
    if (!this.#active.has(runId)) return false;
    const set = this.#listeners.get(runId) ?? new Set();
    set.add(onEvent);
    this.#listeners.set(runId, set);
    return true;
  }

  /** Waits for a run executing in this process; resolves with the stored run otherwise. */
  async wait(runId: string): Promise<PipelineRun> {
    return await this.#active.get(runId)?.done ?? await this.#o.store.getRun(runId);
  }

  async #begin(options: TriggerOptions, onEvent?: (e: RunEvent) => void): Promise<PipelineRun> {
    const dag = this.#dag(options.dag);
    await this.reap();
    let given: Record<string, unknown> = { ...options.params };
    let logicalDate = options.logicalDate ??
      new Date(Math.floor(this.#clock().getTime() / 1000) * 1000);
    let from: { runId: string; taskId: string; reused: Record<string, Json> } | undefined;
    if (options.from) {
      const prev = await this.#o.store.getRun(options.from.runId);
      if (prev.dag !== dag.id) {
        throw invalid(`run ${prev.id} is a run of DAG "${prev.dag}", not "${dag.id}"`);
      }
      if (prev.status === "queued" || prev.status === "running") {
        throw new ReelrankError(
          "CONFLICT",
          `run ${prev.id} is still ${prev.status}; wait for it to end`,
        );
      }
      const rerun = downstreamOf(dag, options.from.taskId);
      const reused: Record<string, Json> = {};
      for (const t of prev.tasks) {
        if (!rerun.has(t.taskId) && (t.status === "success" || t.status === "reused")) {
          reused[t.taskId] = t.result;
        }
      }
      from = { runId: prev.id, taskId: options.from.taskId, reused };
      given = { ...prev.params, ...given };
      logicalDate = options.logicalDate ?? prev.logicalDate;
    }
    const params = resolveParams(dag.params, given);
    const suffix = Array.from(
      crypto.getRandomValues(new Uint8Array(3)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const run = await this.#o.store.createRun({
      id: `${dag.id}-${stamp(logicalDate)}-${suffix}`,
      dag: dag.id,
      trigger: options.trigger,
      logicalDate,
      params,
      taskIds: dag.tasks.map((t) => t.id),
      from,
      host: this.#o.host ?? hostname(),
      pid: this.#o.pid ?? Deno.pid,
    });
    log.info("pipeline run started", { run_id: run.id, dag: dag.id, trigger: options.trigger });
    const stop = new AbortController();
    const listeners = new Set(onEvent ? [onEvent] : []);
    this.#listeners.set(run.id, listeners);
    const done = executeRun(run, dag, {
      store: this.#o.store,
      deps: this.#o.deps,
      metrics: this.#o.metrics,
      clock: this.#clock,
      timers: this.#o.timers ?? realTimers,
      signal: stop.signal,
      heartbeatMs: this.#o.heartbeatMs,
      key: `${dag.id}-${stamp(logicalDate)}`,
      onEvent: (e) => listeners.forEach((l) => l(e)),
    }).catch(async (err) => {
      log.error("pipeline run could not be recorded", { run_id: run.id, error: err });
      return await this.#o.store.getRun(run.id);
    }).finally(() => {
      this.#active.delete(run.id);
      this.#listeners.delete(run.id);
    });
    this.#active.set(run.id, { stop, done });
    return run;
  }

  /** Resolves once no run is executing in this process (tests: nothing writes behind their back). */
  async idle(): Promise<void> {
    while (this.#active.size) {
      await Promise.allSettled([...this.#active.values()].map((r) => r.done));
    }
  }

  /** Stops every run executing in this process (they end failed, saying why) and waits for them. */
  async close(reason = "the process is stopping"): Promise<void> {
    const runs = [...this.#active.values()];
    for (const r of runs) r.stop.abort(new Error(reason));
    await Promise.allSettled(runs.map((r) => r.done));
  }

  listRuns(options?: ListRunsOptions): Promise<{ items: PipelineRun[]; more: boolean }> {
    return this.#o.store.listRuns(options);
  }

  getRun(id: string): Promise<PipelineRun> {
    return this.#o.store.getRun(id);
  }

  listAttempts(id: string): Promise<Attempt[]> {
    return this.#o.store.listAttempts(id);
  }

  readLogs(id: string, options?: { taskId?: string; attempt?: number }): Promise<LogLine[]> {
    return this.#o.store.readLogs(id, options);
  }
}
