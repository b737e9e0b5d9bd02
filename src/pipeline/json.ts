/** Pipeline runs, attempts and log lines as JSON (dates as ISO strings) and back: the API's answers, read by the CLI. */
import type { Json } from "./dag.ts";
import type { Attempt, LogLine, PipelineRun, TaskState } from "./store.ts";

/** A task of a run, as JSON. */
export interface TaskJson extends Omit<TaskState, "startedAt" | "endedAt"> {
  startedAt: string | null;
  endedAt: string | null;
}

/** A run, as JSON. */
export interface RunJson extends
  Omit<
    PipelineRun,
    "logicalDate" | "createdAt" | "startedAt" | "endedAt" | "heartbeatAt" | "tasks" | "params"
  > {
  logicalDate: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  heartbeatAt: string;
  params: Record<string, Json>;
  tasks: TaskJson[];
}

/** An attempt, as JSON. */
export interface AttemptJson extends Omit<Attempt, "startedAt" | "endedAt"> {
  startedAt: string;
  endedAt: string | null;
}

/** A log line, as JSON. */
export interface LogLineJson extends Omit<LogLine, "at"> {
  at: string;
}

const out = (d: Date | null) => d?.toISOString() ?? null;
const back = (s: string | null) => (s === null ? null : new Date(s));

/** A run as JSON. */
export function runToJson(r: PipelineRun): RunJson {
  return {
    ...r,
    params: { ...r.params },
    logicalDate: r.logicalDate.toISOString(),
    createdAt: r.createdAt.toISOString(),
    startedAt: out(r.startedAt),
    endedAt: out(r.endedAt),
    heartbeatAt: r.heartbeatAt.toISOString(),
    tasks: r.tasks.map((t) => ({ ...t, startedAt: out(t.startedAt), endedAt: out(t.endedAt) })),
  };
}

/** A run read back from JSON. */
export function runFromJson(j: RunJson): PipelineRun {
  return {
    ...j,
    logicalDate: new Date(j.logicalDate),
    createdAt: new Date(j.createdAt),
    startedAt: back(j.startedAt),
    endedAt: back(j.endedAt),
    heartbeatAt: new Date(j.heartbeatAt),
    tasks: j.tasks.map((t) => ({ ...t, startedAt: back(t.startedAt), endedAt: back(t.endedAt) })),
  };
}

/** An attempt as JSON. */
export function attemptToJson(a: Attempt): AttemptJson {
  return { ...a, startedAt: a.startedAt.toISOString(), endedAt: out(a.endedAt) };
}

/** An attempt read back from JSON. */
export function attemptFromJson(j: AttemptJson): Attempt {
  return { ...j, startedAt: new Date(j.startedAt), endedAt: back(j.endedAt) };
}

/** A log line as JSON. */
export function logToJson(l: LogLine): LogLineJson {
  return { ...l, at: l.at.toISOString() };
}

/** A log line read back from JSON. */
export function logFromJson(j: LogLineJson): LogLine {
  return { ...j, at: new Date(j.at) };
}
