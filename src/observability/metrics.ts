/**
 * Every Prometheus metric reelrank exports, defined in one place: `reelrank_` prefix, base units,
 * `_total` for counters, route labels holding route patterns (never raw paths or ids).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The metrics of one server, on their own registry (no global state). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  /** 1 for the model version in service; no series while none is loaded. */
  modelInfo: Gauge<"version">;
  modelLoadFailures: Counter<"reason">;
  modelSwitches: Counter;
  inferenceBatchHistories: Histogram;
  inferenceBatchDuration: Histogram;
  cacheLookups: Counter<"result">;
  events: Counter<"outcome">;
  /** Pipeline runs finished, by DAG, trigger (schedule, manual, api, drift) and status. */
  pipelineRuns: Counter<"dag" | "trigger" | "status">;
  /** Task attempts finished, by DAG, task and outcome (success, failed, timeout). */
  pipelineTaskAttempts: Counter<"dag" | "task" | "outcome">;
  pipelineTaskDuration: Histogram<"dag" | "task">;
  /** Unix time of the DAG's last successful run (set from the database at start, then live). */
  pipelineLastSuccess: Gauge<"dag">;
  /** 1 while a run of the DAG is active in this process. */
  pipelineRunActive: Gauge<"dag">;
}

/** Creates the metrics on a fresh registry. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: "reelrank_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status code.",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "reelrank_http_request_duration_seconds",
      help: "Time from request to response, by method, route pattern and status code.",
      labelNames: ["method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    modelInfo: new Gauge({
      name: "reelrank_model_info",
      help: "The model version in service (value 1).",
      labelNames: ["version"],
      registers,
    }),
    modelLoadFailures: new Counter({
      name: "reelrank_model_load_failures_total",
      help: "Model versions that failed to load or verify; the previous one kept serving.",
      labelNames: ["reason"],
      registers,
    }),
    modelSwitches: new Counter({
      name: "reelrank_model_switches_total",
      help: "Times the server switched to another model version.",
      registers,
    }),
    inferenceBatchHistories: new Histogram({
      name: "reelrank_inference_batch_histories",
      help: "Histories scored together in one micro-batch.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    inferenceBatchDuration: new Histogram({
      name: "reelrank_inference_batch_duration_seconds",
      help: "Time to score one micro-batch, queueing excluded.",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers,
    }),
    cacheLookups: new Counter({
      name: "reelrank_recommendation_cache_lookups_total",
      help: "Per-user recommendation cache lookups, by result (hit or miss).",
      labelNames: ["result"],
      registers,
    }),
    events: new Counter({
      name: "reelrank_events_total",
      help: "Events posted to the API, by outcome (stored or duplicate).",
      labelNames: ["outcome"],
      registers,
    }),
    pipelineRuns: new Counter({
      name: "reelrank_pipeline_runs_total",
      help: "Pipeline runs finished, by DAG, trigger and status (success or failed).",
      labelNames: ["dag", "trigger", "status"],
      registers,
    }),
    pipelineTaskAttempts: new Counter({
      name: "reelrank_pipeline_task_attempts_total",
      help: "Pipeline task attempts finished, by DAG, task and outcome (success, failed, timeout).",
      labelNames: ["dag", "task", "outcome"],
      registers,
    }),
    pipelineTaskDuration: new Histogram({
      name: "reelrank_pipeline_task_duration_seconds",
      help: "Duration of pipeline task attempts, by DAG and task.",
      labelNames: ["dag", "task"],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    pipelineLastSuccess: new Gauge({
      name: "reelrank_pipeline_last_success_timestamp_seconds",
      help: "Unix time at which the DAG's last successful run finished.",
      labelNames: ["dag"],
      registers,
    }),
    pipelineRunActive: new Gauge({
      name: "reelrank_pipeline_run_active",
      help: "1 while a run of the DAG is executing in this process, else 0.",
      labelNames: ["dag"],
      registers,
    }),
  };
}

/** Marks `version` as the one in service (or none). */
export function setModelInfo(metrics: Metrics, version: number | null): void {
  metrics.modelInfo.reset();
  if (version !== null) metrics.modelInfo.set({ version: String(version) }, 1);
}
