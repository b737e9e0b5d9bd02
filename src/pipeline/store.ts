/** The pipeline store interface: runs, task states, attempts and their log lines, with one active run per DAG. */
import type { Json } from "./dag.ts";
import type { ParamValues } from "./params.ts";

/** What started a run. */
export type Trigger = "schedule" | "manual" | "api" | "drift";
/** The triggers, for validation and schemas. */
export const TRIGGERS: readonly Trigger[] = ["schedule", "manual", "api", "drift"];

/** A run's lifecycle: queued → running → success | failed. Queued and running are "active". */
export type PipelineRunStatus = "queued" | "running" | "success" | "failed";
export const RUN_STATUSES: readonly PipelineRunStatus[] = [
  "queued",
  "running",
  "success",
  "failed",
];

/**
 * A task's state in a run. `reused`: a `--from` re-run took its result from the earlier run;
 * `upstream_failed`: it never ran because a task it needs failed.
 */
export type TaskStatus =
  | "pending"
  | "running"
  | "up_for_retry"
  | "success"
  | "failed"
  | "upstream_failed"
  | "reused";
export const TASK_STATUSES: readonly TaskStatus[] = [
  "pending",
  "running",
  "up_for_retry",
  "success",
  "failed",
  "upstream_failed",
  "reused",
];

/** How one attempt ended (or `running`). */
export type AttemptStatus = "running" | "success" | "failed" | "timeout";

/** A task of a run. */
export interface TaskState {
  taskId: string;
  status: TaskStatus;
  /** Attempts made so far. */
  tries: number;
  /** The result downstream tasks receive (success and reused only). */
  result: Json | null;
  startedAt: Date | null;
  endedAt: Date | null;
}

/** A run with its tasks, in the DAG's order. */
export interface PipelineRun {
  id: string;
  dag: string;
  trigger: Trigger;
  logicalDate: Date;
  params: ParamValues;
  status: PipelineRunStatus;
  /** Why it failed (the failing task and its error, or "no heartbeat since …"). */
  statusReason: string | null;
  fromRunId: string | null;
  fromTask: string | null;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  heartbeatAt: Date;
  /** The host and process executing it. */
  host: string;
  pid: number | null;
  tasks: TaskState[];
}

/** One attempt of a task. */
export interface Attempt {
  taskId: string;
  attempt: number;
  status: AttemptStatus;
  startedAt: Date;
  endedAt: Date | null;
  durationSeconds: number | null;
  error: string | null;
  /** The error said a retry could not help. */
  permanent: boolean;
  result: Json | null;
}

/** A stored log line of an attempt. */
export interface LogLine {
  taskId: string;
  attempt: number;
  /** Order within the attempt, from 1. */
  seq: number;
  at: Date;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields: Record<string, Json>;
}

/** What creating a run needs. */
export interface CreateRunOptions {
  id: string;
  dag: string;
  trigger: Trigger;
  logicalDate: Date;
  params: ParamValues;
  /** Every task id of the DAG, in order: each gets a `pending` row. */
  taskIds: readonly string[];
  /** A `--from` re-run: the earlier run, the task it restarts from, and the results it reuses. */
  from?: { runId: string; taskId: string; reused: Readonly<Record<string, Json>> };
  host: string;
  pid: number;
}

/** Options of listRuns: newest first, `before` pages on (a run id from the previous page). */
export interface ListRunsOptions {
  dag?: string;
  status?: PipelineRunStatus;
  limit?: number;
  before?: string;
}

/** Stores pipeline runs. Methods throw ReelrankError (NOT_FOUND, CONFLICT, INVALID_PARAMETER). */
export interface PipelineStore {
  /**
   * Records a queued run with a pending row per task (reused tasks already holding their result).
   * Throws CONFLICT naming the active run when the DAG has one: at most one queued or running run
   * per DAG, enforced by the database for every process sharing it.
   */
  createRun(opts: CreateRunOptions): Promise<PipelineRun>;
  /** A run with its tasks. Throws NOT_FOUND. */
  getRun(id: string): Promise<PipelineRun>;
  /** The DAG's queued or running run, or null. */
  activeRun(dag: string): Promise<PipelineRun | null>;
  /** Runs, newest first, with their tasks. */
  listRuns(opts?: ListRunsOptions): Promise<{ items: PipelineRun[]; more: boolean }>;
  /** queued → running, stamping the start and the heartbeat. */
  markRunning(id: string): Promise<void>;
  /** Stamps the heartbeat of an active run; returns its status (no longer active once reaped). */
  heartbeat(id: string): Promise<PipelineRunStatus>;
  /**
   * Ends an active run. Returns false (changing nothing) when it is no longer active, e.g. a
   * reaper marked it failed meanwhile.
   */
  finishRun(
    id: string,
    outcome: { status: "success" | "failed"; reason?: string },
  ): Promise<boolean>;
  /** Starts the next attempt of a task (task → running); returns its number. */
  startAttempt(runId: string, taskId: string): Promise<number>;
  /**
   * Ends an attempt and sets the task's state: `success` stores the result on the task too,
   * `up_for_retry` when another attempt follows, `failed` when none does.
   */
  finishAttempt(
    runId: string,
    taskId: string,
    outcome: {
      attempt: number;
      status: Exclude<AttemptStatus, "running">;
      durationSeconds: number;
      error?: string;
      permanent?: boolean;
      result?: Json;
      task: "success" | "up_for_retry" | "failed";
    },
  ): Promise<void>;
  /** Marks tasks that will never run because an upstream task failed. */
  markUpstreamFailed(runId: string, taskIds: readonly string[]): Promise<void>;
  /** Every attempt of a run, by task order of start, then attempt. */
  listAttempts(runId: string): Promise<Attempt[]>;
  /** Stores log lines (a line already stored under the same numbers is replaced). */
  appendLogs(runId: string, lines: readonly LogLine[]): Promise<void>;
  /** A run's log lines, optionally of one task (and one attempt), in order. */
  readLogs(runId: string, opts?: { taskId?: string; attempt?: number }): Promise<LogLine[]>;
  /**
   * Marks failed every active run whose heartbeat is older than `maxAgeMs` before `now` (every
   * active run when `maxAgeMs` is undefined), with their running attempts, except the runs in
   * `keep` (those the calling process is executing). Returns their ids.
   */
  reapStale(
    opts: { now: Date; maxAgeMs?: number; reason: string; keep?: readonly string[] },
  ): Promise<string[]>;
  /** When each DAG's last successful run ended. */
  lastSuccess(): Promise<Record<string, Date>>;
}
