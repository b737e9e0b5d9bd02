/** Run helpers on top of TrackingStore: a handle bound to one run, and withRun, which never leaves a run "running". */
import { getLogger } from "../log.ts";
import { ReelrankError } from "../errors.ts";
import type {
  CreateRunOptions,
  FinalRunStatus,
  Run,
  RunArtifact,
  RunStatus,
  TrackingStore,
} from "./store.ts";

const log = getLogger("tracking/run");

/** A run being recorded: the store's methods with the run id filled in. */
export interface ActiveRun {
  readonly id: string;
  readonly store: TrackingStore;
  logParams(params: Record<string, string | number | boolean>): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Logs several metrics at one step, e.g. `logMetrics({ loss: 1.2, val_ndcg10: 0.05 }, epoch)`. */
  logMetrics(values: Record<string, number>, step?: number): Promise<void>;
  logMetric(key: string, value: number, step?: number): Promise<void>;
  logArtifact(path: string, body: Uint8Array): Promise<RunArtifact>;
  /** Records that the process is alive; call it from long loops (e.g. once per epoch). */
  heartbeat(): Promise<RunStatus>;
  /** Ends the run (default `finished`); later calls are no-ops returning the stored run. */
  end(status?: FinalRunStatus, reason?: string): Promise<Run>;
  /** True once `end` has been called. */
  readonly ended: boolean;
}

/** Creates a run and returns a handle to it. The caller must `end` it; prefer `withRun`. */
export async function startRun(store: TrackingStore, opts: CreateRunOptions): Promise<ActiveRun> {
  const run = await store.createRun(opts);
  const id = run.id;
  let ended = false;
  return {
    id,
    store,
    get ended() {
      return ended;
    },
    logParams: (params) => store.logParams(id, params),
    setTags: (tags) => store.setTags(id, tags),
    logMetrics: (values, step = 0) =>
      store.logMetrics(id, Object.entries(values).map(([key, value]) => ({ key, value, step }))),
    logMetric: (key, value, step = 0) => store.logMetrics(id, [{ key, value, step }]),
    logArtifact: (path, body) => store.logArtifact(id, path, body),
    heartbeat: () => store.heartbeat(id),
    async end(status = "finished", reason) {
      if (ended) return store.getRun(id);
      ended = true;
      return await store.endRun(id, { status, reason });
    },
  };
}

/** Options of `withRun`: the run to create, heartbeats, and signal handling. */
export interface WithRunOptions extends CreateRunOptions {
  /** Heartbeat period in ms so `reapStaleRuns` can tell a live run from a killed one; 0 disables it. */
  heartbeatMs?: number;
  /**
   * For CLI entry points: on SIGINT/SIGTERM, mark the run failed ("killed by SIGTERM") and exit
   * the process with 128 + the signal number. Off by default: a library must not exit the process.
   */
  exitOnSignal?: boolean;
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/** Ends the run as failed when the process is interrupted; returns the function that undoes it. */
function failOnSignal(run: ActiveRun): () => void {
  const handlers: Array<[Deno.Signal, () => void]> = [];
  for (const [signal, num] of Object.entries(SIGNALS) as Array<[Deno.Signal, number]>) {
    const handler = () => {
      const end = run.ended ? Promise.resolve() : run.end("failed", `killed by ${signal}`);
      end.catch((err) =>
        log.error("could not mark the run failed", { tracking_run_id: run.id, error: err })
      )
        .finally(() => Deno.exit(128 + num));
    };
    try {
      Deno.addSignalListener(signal, handler);
      handlers.push([signal, handler]);
    } catch {
      // SIGTERM cannot be listened to on Windows; the heartbeat reaper covers it there.
    }
  }
  return () => handlers.forEach(([signal, handler]) => Deno.removeSignalListener(signal, handler));
}

/**
 * Runs `fn` inside a new run: finished when `fn` resolves, failed (with the error message as the
 * reason) when it throws, and the error is rethrown. A process killed outright (-9) cannot do
 * this; the heartbeat sent meanwhile lets `reapStaleRuns` mark such runs failed later.
 */
export async function withRun<T>(
  store: TrackingStore,
  fn: (run: ActiveRun) => Promise<T>,
  opts: WithRunOptions,
): Promise<T> {
  const run = await startRun(store, opts);
  const period = opts.heartbeatMs ?? 30_000;
  const timer = period > 0
    ? setInterval(() => {
      run.heartbeat().catch((err) =>
        log.warn("heartbeat failed", { tracking_run_id: run.id, error: err })
      );
    }, period)
    : undefined;
  if (timer !== undefined) Deno.unrefTimer(timer);
  const unlisten = opts.exitOnSignal ? failOnSignal(run) : () => {};
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      if (!run.ended) await run.end("failed", reason);
    } catch (endErr) {
      // The original error matters more; the reaper will mark the run failed later.
      log.error("could not mark the run failed", { tracking_run_id: run.id, error: endErr });
    }
    throw err;
  } finally {
    clearInterval(timer);
    unlisten();
  }
  try {
    if (!run.ended) await run.end("finished");
  } catch (err) {
    // The work is done; a run reaped meanwhile (CONFLICT) stays failed and says why.
    if (!(err instanceof ReelrankError && err.code === "CONFLICT")) throw err;
    log.warn("run finished after it was marked ended", { tracking_run_id: run.id, error: err });
  }
  return result;
}
