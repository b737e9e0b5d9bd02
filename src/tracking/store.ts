/** The experiment-tracking interface (MLflow's model): experiments, runs, params, tags, metric history, artifacts. */

/** Lifecycle of a run. `running` is the only state that is not final. */
export type RunStatus = "running" | "finished" | "failed" | "killed";

/** The statuses a run can end with. */
export type FinalRunStatus = Exclude<RunStatus, "running">;

/** A named group of runs, e.g. "reelrank-train". */
export interface Experiment {
  id: number;
  name: string;
  createdAt: Date;
}

/** One logged metric value at one step (an epoch, a batch count; 0 for single values). */
export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp: Date;
}

/** An artifact of a run, stored in the object store under `runs/<run id>/<path>`. */
export interface RunArtifact {
  path: string;
  /** The object-store key. */
  key: string;
  /** Hex sha256 of the stored bytes, checked again on every read. */
  sha256: string;
  size: number;
  createdAt: Date;
}

/** A run with its data. `metrics` holds each metric's latest value (the one at the highest step). */
export interface Run {
  id: string;
  experimentId: number;
  experimentName: string;
  name: string;
  status: RunStatus;
  /** Why a run failed or was killed (the error message, or "no heartbeat since …"). */
  statusReason: string | null;
  startTime: Date;
  endTime: Date | null;
  heartbeatAt: Date;
  /** The code version it ran, e.g. a git commit; passed in by the caller. */
  codeVersion: string | null;
  /** The data snapshot it trained on. */
  snapshotId: string | null;
  /** The run this one is nested in (a family comparison's child), or null for a top-level run. */
  parentRunId: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
}

/** What `createRun` needs; everything but the experiment is optional. */
export interface CreateRunOptions {
  /** Experiment name; created when it does not exist yet. */
  experiment: string;
  /** A caller-chosen id (e.g. keyed by a pipeline run, for idempotency); a random UUID by default. */
  id?: string;
  name?: string;
  codeVersion?: string;
  snapshotId?: string;
  /** The parent run (MLflow's nested runs); it must exist. */
  parentRunId?: string;
  params?: Record<string, string | number | boolean>;
  tags?: Record<string, string>;
}

/** A comparison on a run's latest metric value: `{ metric: "val_ndcg10", op: ">", value: 0.05 }`. */
export interface MetricCondition {
  metric: string;
  op: "<" | "<=" | ">" | ">=" | "=" | "!=";
  value: number;
}

/** Structured search filter; every given field must hold (AND). */
export interface RunFilter {
  /** Experiment name. */
  experiment?: string;
  status?: RunStatus | RunStatus[];
  /** Tag equality, key → value. */
  tags?: Record<string, string>;
  /** Param equality, key → value. */
  params?: Record<string, string>;
  /** Conditions on latest metric values; a run without the metric does not match. */
  metrics?: MetricCondition[];
  /** Children of this run; `null` = top-level runs only (nested runs left out). */
  parentRunId?: string | null;
}

/** Sort order of a search. Ties are broken by run id; runs without the metric sort last. */
export type RunOrder =
  | { field: "start_time" | "end_time"; direction?: "asc" | "desc" }
  | { metric: string; direction?: "asc" | "desc" };

/** `searchRuns` input; the default order is newest start time first. */
export interface SearchRunsOptions {
  filter?: RunFilter;
  /** Page size, 1..1000 (default 100). */
  limit?: number;
  orderBy?: RunOrder;
  /** The `nextPageToken` of the previous page; only valid with the same filter and order. */
  pageToken?: string;
}

/** A page of search results; `nextPageToken` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * Stores experiments and runs. Every method throws a `ReelrankError`: NOT_FOUND for an unknown
 * run, INVALID_PARAMETER for a bad argument, CONFLICT for a write that contradicts stored state.
 */
export interface TrackingStore {
  /** Returns the experiment called `name`, creating it when missing (safe under concurrency). */
  ensureExperiment(name: string): Promise<Experiment>;
  /** Every experiment, oldest first. */
  listExperiments(): Promise<Experiment[]>;

  /** Starts a run in status `running` with start time and heartbeat set to now. */
  createRun(opts: CreateRunOptions): Promise<Run>;
  /** A run with its params, tags and latest metrics. Throws NOT_FOUND. */
  getRun(runId: string): Promise<Run>;
  /**
   * Ends a running run with a final status. Throws CONFLICT when the run has already ended
   * (e.g. the reaper marked it failed), naming its status.
   */
  endRun(runId: string, opts: { status: FinalRunStatus; reason?: string }): Promise<Run>;
  /** Records that the run is alive; returns its status (not `running` once it was reaped). */
  heartbeat(runId: string): Promise<RunStatus>;
  /**
   * Marks failed every running run whose last heartbeat is older than `maxAgeMs` before `now`
   * (a process killed with -9 never ends its run). Returns the ids it marked.
   */
  reapStaleRuns(opts: { now?: Date; maxAgeMs: number }): Promise<string[]>;

  /** Logs params; logging a key again with the same value is a no-op, another value is CONFLICT. */
  logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void>;
  /** Sets tags, replacing previous values. */
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
  /**
   * Logs many metric values in one statement. Re-logging a (key, step) replaces its value, so a
   * retried epoch never duplicates. `step` defaults to 0 and `timestamp` to now.
   */
  logMetrics(
    runId: string,
    points: Array<{ key: string; value: number; step?: number; timestamp?: Date }>,
  ): Promise<void>;
  /** Every value of one metric, by ascending step. */
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;

  /** Writes bytes to the object store under `runs/<run id>/<path>` and records their sha256. */
  logArtifact(runId: string, path: string, body: Uint8Array): Promise<RunArtifact>;
  /** The artifacts of a run, by path. */
  listArtifacts(runId: string): Promise<RunArtifact[]>;
  /** Reads an artifact and verifies its size and sha256; a mismatch throws CORRUPT. */
  readArtifact(runId: string, path: string): Promise<Uint8Array>;

  /** Searches runs with a structured filter, an order and keyset page tokens. */
  searchRuns(opts?: SearchRunsOptions): Promise<Page<Run>>;
}
