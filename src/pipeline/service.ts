/** What other parts use of the pipeline (the API, the site, drift detection): start runs, read them. */
import type { Dag } from "./dag.ts";
import { describeParams, type ParamInfo } from "./params.ts";
import type { Attempt, ListRunsOptions, LogLine, PipelineRun, Trigger } from "./store.ts";

/** How to start a run. */
export interface TriggerOptions {
  dag: string;
  trigger: Trigger;
  /** Parameter overrides (typed JSON, or text as from `--param k=v`); the rest take defaults. */
  params?: Readonly<Record<string, unknown>>;
  /** The date the run stands for (default: now, to the second; a schedule passes its fire time). */
  logicalDate?: Date;
  /**
   * Re-run the DAG of a finished run from one of its tasks: the tasks not downstream of it keep
   * their results from that run (state `reused`), the run's parameters and logical date are kept
   * unless overridden.
   */
  from?: { runId: string; taskId: string };
}

/** A DAG as pages and the API describe it. */
export interface DagInfo {
  id: string;
  description: string;
  tasks: {
    id: string;
    description: string;
    upstream: string[];
    retries: number;
    timeoutSeconds: number;
  }[];
  params: ParamInfo[];
}

/** The pipeline as the rest of reelrank sees it. Throws ReelrankError (NOT_FOUND, CONFLICT, …). */
export interface PipelineService {
  dags(): DagInfo[];
  /**
   * Starts a run and returns its id at once; the run executes in this process. Throws CONFLICT
   * (HTTP 409) while the DAG has an active run anywhere, INVALID_PARAMETER for a bad parameter.
   */
  trigger(options: TriggerOptions): Promise<string>;
  listRuns(options?: ListRunsOptions): Promise<{ items: PipelineRun[]; more: boolean }>;
  getRun(id: string): Promise<PipelineRun>;
  listAttempts(id: string): Promise<Attempt[]>;
  readLogs(id: string, options?: { taskId?: string; attempt?: number }): Promise<LogLine[]>;
}

/**
 * Starts a run of `options.dag` from anywhere that holds the pipeline service (drift detection
 * passes `trigger: "drift"`); returns the run id, or throws CONFLICT while one is active.
 */
export function triggerRun(
  deps: { pipeline: Pick<PipelineService, "trigger"> },
  options: TriggerOptions,
): Promise<string> {
  return deps.pipeline.trigger(options);
}

/** The description of a DAG. */
export function dagInfo<D>(dag: Dag<D>): DagInfo {
  return {
    id: dag.id,
    description: dag.description,
    tasks: dag.tasks.map((t) => ({
      id: t.id,
      description: t.description,
      upstream: [...t.upstream],
      retries: t.retries,
      timeoutSeconds: t.timeoutMs / 1000,
    })),
    params: describeParams(dag.params),
  };
}
