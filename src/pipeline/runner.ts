/**
 * Executes one run of a DAG: tasks in dependency order (independent ones at once), each given its
 * upstream results, timed out through its signal, retried with exponential backoff unless the
 * error is permanent, every attempt and log line recorded; a heartbeat proves the run alive.
 */
import { isPermanent, ReelrankError } from "../errors.ts";
import { getLogger, scrub } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Dag, Json, Task } from "./dag.ts";
import { attemptLogger } from "./task_log.ts";
import type {
  LogLine,
  PipelineRun,
  PipelineRunStatus,
  PipelineStore,
  TaskStatus,
} from "./store.ts";

const log = getLogger("pipeline/runner");

/** Waiting, made injectable so tests never sleep. */
export interface Timers {
  /** Resolves after `ms`; rejects with the signal's reason once it is aborted. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** A signal that aborts after `ms`; `clear()` stops the timer. */
  timeout(ms: number): { signal: AbortSignal; clear(): void };
}

/** setTimeout-based timers. */
export const realTimers: Timers = {
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason);
      };
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    }),
  timeout(ms) {
    const c = new AbortController();
    const t = setTimeout(() => c.abort(), ms);
    return { signal: c.signal, clear: () => clearTimeout(t) };
  },
};

/** What a run reports while it executes (CLI progress, tests). */
export type RunEvent =
  | { type: "run"; runId: string; status: PipelineRunStatus; reason?: string }
  | {
    type: "task";
    runId: string;
    taskId: string;
    status: TaskStatus;
    attempt: number;
    /** The attempt's duration (ended attempts). */
    seconds?: number;
    error?: string;
    /** When the task is up for retry: the wait before the next attempt. */
    retryInMs?: number;
  }
  | { type: "log"; runId: string; line: LogLine };

/** What the runner needs. */
export interface RunnerOptions<D> {
  store: PipelineStore;
  deps: D;
  metrics: Metrics;
  clock: () => Date;
  timers: Timers;
  /** Aborting it stops the run: attempts see their signal abort, nothing more starts. */
  signal: AbortSignal;
  /** Heartbeat period (default 10 s). */
  heartbeatMs?: number;
  /** Tasks running at once at most (default 4). */
  maxParallel?: number;
  /** The idempotency key of the run (see TaskContext.key). */
  key: string;
  onEvent?: (event: RunEvent) => void;
}

/** The longest result a task may return: results carry ids and keys, not data. */
export const MAX_RESULT_BYTES = 64 * 1024;

class TaskTimeout extends Error {
  constructor(task: string, ms: number) {
    super(`task "${task}" timed out after ${ms / 1000} s`);
    this.name = "TaskTimeout";
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const prefix = err.name === "Error" || err.name === "ReelrankError" ? "" : `${err.name}: `;
    return scrub(prefix + err.message);
  }
  return scrub(String(err));
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function checkResult(task: string, value: unknown): Json {
  const text = JSON.stringify(value ?? null);
  if (text.length > MAX_RESULT_BYTES) {
    throw new ReelrankError(
      "INTERNAL",
      `task "${task}" returned ${text.length} bytes; a result carries ids and object keys (at most ${MAX_RESULT_BYTES} bytes)`,
      { permanent: true },
    );
  }
  return JSON.parse(text) as Json;
}

/** Executes `run` (queued, or being resumed after `--from`) to its end; resolves with the stored run. */
export async function executeRun<D>(
  run: PipelineRun,
  dag: Dag<D>,
  o: RunnerOptions<D>,
): Promise<PipelineRun> {
  const emit = (e: RunEvent) => {
    try {
      o.onEvent?.(e);
    } catch (err) {
      log.warn("a run event listener threw", { run_id: run.id, error: err });
    }
  };
  const stop = new AbortController();
  const onStop = () => stop.abort(o.signal.reason);
  o.signal.addEventListener("abort", onStop, { once: true });
  if (o.signal.aborted) onStop();
  const beat = setInterval(() => {
    o.store.heartbeat(run.id).then((status) => {
      if (status !== "queued" && status !== "running") {
        stop.abort(new Error(`run ${run.id} was marked ${status} by another process`));
      }
    }).catch((err) => log.warn("heartbeat failed", { run_id: run.id, error: err }));
  }, o.heartbeatMs ?? 10_000);
  Deno.unrefTimer(beat);

  const labels = { dag: dag.id };
  o.metrics.pipelineRunActive.set(labels, 1);
  const state = new Map<string, TaskStatus>(run.tasks.map((t) => [t.taskId, t.status]));
  const results = new Map<string, Json>();
  for (const t of run.tasks) if (t.status === "reused") results.set(t.taskId, t.result);
  let failure: string | undefined;
  try {
    await o.store.markRunning(run.id);
    emit({ type: "run", runId: run.id, status: "running" });
    for (const t of run.tasks) {
      if (t.status === "reused") {
        emit({ type: "task", runId: run.id, taskId: t.taskId, status: "reused", attempt: 0 });
      }
    }
    const running = new Map<string, Promise<void>>();
    const launch = (task: Task<D>) => {
      state.set(task.id, "running");
      const upstream = Object.fromEntries(task.upstream.map((u) => [u, results.get(u)!]));
      const p = runTask(task, upstream).then(
        (result) => {
          state.set(task.id, "success");
          results.set(task.id, result);
        },
        (err) => {
          state.set(task.id, "failed");
          failure ??= `task "${task.id}" failed: ${errorText(err)}`;
        },
      ).finally(() => running.delete(task.id));
      running.set(task.id, p);
    };
    for (;;) {
      const blocked: string[] = [];
      for (const t of dag.tasks) {
        if (state.get(t.id) !== "pending") continue;
        const ups = t.upstream.map((u) => state.get(u));
        if (ups.some((s) => s === "failed" || s === "upstream_failed")) blocked.push(t.id);
        else if (
          !stop.signal.aborted && running.size < (o.maxParallel ?? 4) &&
          ups.every((s) => s === "success" || s === "reused")
        ) launch(t);
      }
      if (blocked.length) {
        blocked.forEach((id) => state.set(id, "upstream_failed"));
        await o.store.markUpstreamFailed(run.id, blocked);
        blocked.forEach((taskId) =>
          emit({ type: "task", runId: run.id, taskId, status: "upstream_failed", attempt: 0 })
        );
        continue;
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (stop.signal.aborted && !failure) failure = `stopped: ${errorText(stop.signal.reason)}`;
    const left = [...state].filter(([, s]) => s === "pending").map(([id]) => id);
    if (left.length && !failure) failure = `tasks never ran: ${left.join(", ")}`;
  } catch (err) {
    failure = `the engine failed: ${errorText(err)}`;
    log.error("pipeline run failed inside the engine", { run_id: run.id, error: err });
  } finally {
    clearInterval(beat);
    o.signal.removeEventListener("abort", onStop);
    o.metrics.pipelineRunActive.set(labels, 0);
  }
  const status = failure ? "failed" : "success";
  const ended = await o.store.finishRun(run.id, { status, reason: failure });
  const stored = await o.store.getRun(run.id);
  if (ended) {
    o.metrics.pipelineRuns.inc({ ...labels, trigger: run.trigger, status });
    if (status === "success" && stored.endedAt) {
      o.metrics.pipelineLastSuccess.set(labels, stored.endedAt.getTime() / 1000);
    }
  }
  emit({
    type: "run",
    runId: run.id,
    status: stored.status,
    reason: stored.statusReason ?? undefined,
  });
  return stored;

  async function runTask(task: Task<D>, upstream: Record<string, Json>): Promise<Json> {
    for (;;) {
      const attempt = await o.store.startAttempt(run.id, task.id);
      emit({ type: "task", runId: run.id, taskId: task.id, status: "running", attempt });
      const attemptStop = new AbortController();
      let timedOut = false;
      const timeout = o.timers.timeout(task.timeoutMs);
      const onTimeout = () => {
        timedOut = true;
        attemptStop.abort(new TaskTimeout(task.id, task.timeoutMs));
      };
      timeout.signal.addEventListener("abort", onTimeout, { once: true });
      const onRunStop = () => attemptStop.abort(stop.signal.reason);
      stop.signal.addEventListener("abort", onRunStop, { once: true });
      if (stop.signal.aborted) onRunStop();
      const { log: taskLog, flush } = attemptLogger({
        store: o.store,
        runId: run.id,
        taskId: task.id,
        attempt,
        clock: o.clock,
        onLine: (line) => emit({ type: "log", runId: run.id, line }),
      });
      const started = o.clock().getTime();
      const seconds = () => (o.clock().getTime() - started) / 1000;
      const labels = { dag: dag.id, task: task.id };
      try {
        const work = Promise.resolve().then(() =>
          task.run({
            runId: run.id,
            dag: dag.id,
            key: o.key,
            logicalDate: run.logicalDate,
            params: run.params,
            attempt,
            signal: attemptStop.signal,
            log: taskLog,
            deps: o.deps,
          }, upstream)
        );
        const result = checkResult(task.id, await untilAborted(work, attemptStop.signal));
        await flush();
        const s = seconds();
        await o.store.finishAttempt(run.id, task.id, {
          attempt,
          status: "success",
          durationSeconds: s,
          result,
          task: "success",
        });
        o.metrics.pipelineTaskAttempts.inc({ ...labels, outcome: "success" });
        o.metrics.pipelineTaskDuration.observe(labels, s);
        emit({
          type: "task",
          runId: run.id,
          taskId: task.id,
          status: "success",
          attempt,
          seconds: s,
        });
        return result;
      } catch (err) {
        const s = seconds();
        const stopped = stop.signal.aborted;
        // A stopped run is not retried; a timeout may be (the next attempt may be faster).
        const permanent = stopped || (!timedOut && isPermanent(err));
        const retry = !permanent && attempt <= task.retries;
        const error = errorText(timedOut ? attemptStop.signal.reason : err);
        const outcome = timedOut ? "timeout" : "failed";
        const delay = Math.min(
          task.retryDelayMs * task.backoff ** (attempt - 1),
          task.maxRetryDelayMs,
        );
        (retry ? taskLog.warn : taskLog.error)(
          retry
            ? `attempt ${attempt} ${outcome === "timeout" ? "timed out" : "failed"}; retrying in ${
              delay / 1000
            } s`
            : `attempt ${attempt} ${outcome === "timeout" ? "timed out" : "failed"}${
              permanent && !stopped ? " with a permanent error; not retried" : ""
            }`,
          { error },
        );
        await flush();
        await o.store.finishAttempt(run.id, task.id, {
          attempt,
          status: outcome,
          durationSeconds: s,
          error,
          permanent,
          task: retry ? "up_for_retry" : "failed",
        });
        o.metrics.pipelineTaskAttempts.inc({ ...labels, outcome });
        o.metrics.pipelineTaskDuration.observe(labels, s);
        emit({
          type: "task",
          runId: run.id,
          taskId: task.id,
          status: retry ? "up_for_retry" : "failed",
          attempt,
          seconds: s,
          error,
          retryInMs: retry ? delay : undefined,
        });
        if (!retry) throw err;
        await o.timers.sleep(delay, stop.signal);
      } finally {
        timeout.clear();
        timeout.signal.removeEventListener("abort", onTimeout);
        stop.signal.removeEventListener("abort", onRunStop);
      }
    }
  }
}
