/**
 * Every Prometheus metric reelrank exports, defined in one place: `reelrank_` prefix, base units,
 * `_total` for counters, route labels holding route patterns (never raw paths or ids).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ModelVersion } from "../registry/store.ts";

/** The metrics of one server, on their own registry (no global state). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  /** 1 for the model version in service, with the run that trained it; no series while none is loaded. */
  modelInfo: Gauge<"version" | "run">;
  /** Validation NDCG@10 the registry recorded for the version in service. */
  modelValidationNdcg10: Gauge<"version">;
  /** Unix time at which the version in service was registered (its age drives an alert). */
  modelCreated: Gauge;
  modelLoadFailures: Counter<"reason">;
  modelSwitches: Counter;
  inferenceBatchHistories: Histogram;
  inferenceBatchDuration: Histogram;
  cacheLookups: Counter<"result">;
  /** Recommendation answers, by strategy (model or popularity). */
  recommendationsServed: Counter<"strategy">;
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
  /** Records read by ingests in this process, by source, record kind and outcome. */
  ingestRows: Counter<"source" | "table" | "outcome">;
  /** Rows stored per data table (read from the database when scraped). */
  dataRows: Gauge<"table">;
  /** Unix time of each source's last successful ingest (read from the database when scraped). */
  ingestLastSuccess: Gauge<"source">;
  /** The newest snapshot: rows and stored (gzipped) bytes per table, and when it was taken. */
  snapshotRows: Gauge<"table">;
  snapshotBytes: Gauge<"table">;
  snapshotCreated: Gauge;
  /** Population stability index of each drift feature in the newest drift report. */
  driftPsi: Gauge<"feature">;
  /** The PSI above which drift alerts (REELRANK_DRIFT_THRESHOLD). */
  driftPsiThreshold: Gauge;
  /** Mean share of a user's top 10 kept from the previous batch of recommendations. */
  recommendationOverlap: Gauge;
  /** Unix time of the newest drift report, by kind (data or recommendations). */
  driftLastCheck: Gauge<"kind">;
  /** Impressions recorded (queued for the database), by arm and strategy. */
  impressions: Counter<"arm" | "strategy">;
  /** Impressions written to the database. */
  impressionsWritten: Counter;
  /** Impressions lost: `full` (over REELRANK_IMPRESSION_BUFFER) or `error` (a write that failed for good). */
  impressionsDropped: Counter<"reason">;
  /** Clicks and watches reported on impressions, by type and outcome (stored or duplicate). */
  impressionOutcomes: Counter<"type" | "outcome">;
  /** Shadow lists staging ranked and that were written. */
  shadowLists: Counter;
  /** Shadow rankings not made or lost, by reason (busy, error, full). */
  shadowSkipped: Counter<"reason">;
  /** Share of users served by staging (the canary). */
  canaryShare: Gauge;
  /** Share of production answers staging shadows. */
  shadowShare: Gauge;
  /** CTR@10 over the last hour, by version and arm (read from the database when scraped). */
  onlineCtr: Gauge<"version" | "arm">;
  /** Watch rate (impressions with a watch in the top 10) over the last hour, by version and arm. */
  onlineWatchRate: Gauge<"version" | "arm">;
  /** Mean reciprocal position of watched items over the last hour, by version and arm. */
  onlineReciprocalPosition: Gauge<"version" | "arm">;
  /** Impressions over the last hour, by version and arm (the sample behind the rates). */
  onlineImpressions: Gauge<"version" | "arm">;
  /** The 95 % Wilson interval of {@link onlineCtr}: `bound` is `lower` or `upper`. */
  onlineCtrBound: Gauge<"version" | "arm" | "bound">;
  /** The 95 % Wilson interval of {@link onlineWatchRate}: `bound` is `lower` or `upper`. */
  onlineWatchRateBound: Gauge<"version" | "arm" | "bound">;
  /** The 95 % normal interval of {@link onlineReciprocalPosition}: `bound` is `lower` or `upper`. */
  onlineReciprocalPositionBound: Gauge<"version" | "arm" | "bound">;
  /**
   * Runs `refresh` whenever the stored-state gauges above (data rows, ingest, snapshot, drift) are
   * scraped, once per scrape however many of them ask; the server reads the database with it.
   */
  onScrape(refresh: () => Promise<void>): void;
}

/**
 * prom-client's default collectors that Deno cannot feed, removed so /metrics shows no dead series:
 * Deno emits no `gc` performance entries, has no `process._getActiveHandles/_getActiveRequests`,
 * and prom-client names the resource total a gauge with a `_total` suffix, which
 * `promtool check metrics` rejects. Every other default collector works under Deno (tested).
 */
export const UNSUPPORTED_DEFAULT_METRICS = [
  "nodejs_gc_duration_seconds",
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_requests",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
] as const;

/**
 * Creates the metrics on a fresh registry, with the process metrics (CPU, memory, file
 * descriptors, event-loop lag, heap) unless `defaults: false`.
 */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of UNSUPPORTED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  // Stored-state gauges await the scrape hooks; one shared promise serves a whole scrape.
  const hooks: (() => Promise<void>)[] = [];
  let scraping: Promise<void> | undefined;
  const collect = async () => {
    scraping ??= Promise.all(hooks.map((h) => h())).then(() => {}).finally(() => {
      scraping = undefined;
    });
    await scraping;
  };
  const metrics: Metrics = {
    onScrape: (refresh) => void hooks.push(refresh),
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
      help: "The model version in service and the run that trained it (value 1).",
      labelNames: ["version", "run"],
      registers,
    }),
    modelValidationNdcg10: new Gauge({
      name: "reelrank_model_validation_ndcg10",
      help: "Validation NDCG@10 of the model version in service, as registered.",
      labelNames: ["version"],
      registers,
    }),
    modelCreated: new Gauge({
      name: "reelrank_model_created_timestamp_seconds",
      help: "Unix time at which the model version in service was registered.",
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
    recommendationsServed: new Counter({
      name: "reelrank_recommendations_served_total",
      help: "Recommendation answers served, by strategy (model or popularity).",
      labelNames: ["strategy"],
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
    ingestRows: new Counter({
      name: "reelrank_ingest_rows_total",
      help:
        "Records read by ingests, by source, record kind and outcome (accepted, rejected, duplicate).",
      labelNames: ["source", "table", "outcome"],
      registers,
    }),
    dataRows: new Gauge({
      name: "reelrank_data_rows",
      help: "Rows stored per data table (movies, users, interactions, rejected_rows).",
      labelNames: ["table"],
      collect,
      registers,
    }),
    ingestLastSuccess: new Gauge({
      name: "reelrank_ingest_last_success_timestamp_seconds",
      help: "Unix time at which the last successful ingest of the source finished.",
      labelNames: ["source"],
      collect,
      registers,
    }),
    snapshotRows: new Gauge({
      name: "reelrank_snapshot_rows",
      help: "Rows per table in the newest data snapshot.",
      labelNames: ["table"],
      collect,
      registers,
    }),
    snapshotBytes: new Gauge({
      name: "reelrank_snapshot_bytes",
      help: "Stored (gzipped) bytes per table in the newest data snapshot.",
      labelNames: ["table"],
      collect,
      registers,
    }),
    snapshotCreated: new Gauge({
      name: "reelrank_snapshot_created_timestamp_seconds",
      help: "Unix time at which the newest data snapshot was taken.",
      collect,
      registers,
    }),
    driftPsi: new Gauge({
      name: "reelrank_drift_psi",
      help: "Population stability index of each drift feature in the newest drift report.",
      labelNames: ["feature"],
      collect,
      registers,
    }),
    driftPsiThreshold: new Gauge({
      name: "reelrank_drift_psi_threshold",
      help:
        "The population stability index above which drift is reported (REELRANK_DRIFT_THRESHOLD).",
      registers,
    }),
    recommendationOverlap: new Gauge({
      name: "reelrank_drift_recommendation_overlap_ratio",
      help:
        "Mean share of a user's top 10 kept from the previous batch of recommendations (overlap@10).",
      collect,
      registers,
    }),
    driftLastCheck: new Gauge({
      name: "reelrank_drift_last_check_timestamp_seconds",
      help: "Unix time of the newest drift report, by kind (data or recommendations).",
      labelNames: ["kind"],
      collect,
      registers,
    }),
    impressions: new Counter({
      name: "reelrank_impressions_total",
      help: "Recommendation answers recorded as impressions, by arm and strategy.",
      labelNames: ["arm", "strategy"],
      registers,
    }),
    impressionsWritten: new Counter({
      name: "reelrank_impressions_written_total",
      help: "Impressions written to the database (in batches, off the request path).",
      registers,
    }),
    impressionsDropped: new Counter({
      name: "reelrank_impressions_dropped_total",
      help: "Impressions lost: full (over the in-memory bound) or error (a failed write).",
      labelNames: ["reason"],
      registers,
    }),
    impressionOutcomes: new Counter({
      name: "reelrank_impression_outcomes_total",
      help:
        "Clicks and watches reported on impressions, by type and outcome (stored or duplicate).",
      labelNames: ["type", "outcome"],
      registers,
    }),
    shadowLists: new Counter({
      name: "reelrank_shadow_lists_total",
      help: "Lists the staging model ranked in the shadow of production answers, written.",
      registers,
    }),
    shadowSkipped: new Counter({
      name: "reelrank_shadow_skipped_total",
      help: "Shadow rankings not made or lost, by reason (busy, error, full).",
      labelNames: ["reason"],
      registers,
    }),
    canaryShare: new Gauge({
      name: "reelrank_canary_share_ratio",
      help: "Share of users and visitors served by the staging model (the canary).",
      registers,
    }),
    shadowShare: new Gauge({
      name: "reelrank_shadow_share_ratio",
      help: "Share of production answers the staging model also ranks, unseen (the shadow).",
      registers,
    }),
    onlineCtr: new Gauge({
      name: "reelrank_online_ctr_ratio",
      help: "CTR@10 over the last hour: share of impressions with a click in the top 10.",
      labelNames: ["version", "arm"],
      collect,
      registers,
    }),
    onlineWatchRate: new Gauge({
      name: "reelrank_online_watch_rate_ratio",
      help: "Share of impressions over the last hour with a watch in the top 10.",
      labelNames: ["version", "arm"],
      collect,
      registers,
    }),
    onlineReciprocalPosition: new Gauge({
      name: "reelrank_online_watched_reciprocal_position_ratio",
      help: "Mean of 1/position of the items watched from impressions over the last hour.",
      labelNames: ["version", "arm"],
      collect,
      registers,
    }),
    onlineImpressions: new Gauge({
      name: "reelrank_online_impressions",
      help: "Impressions over the last hour, by model version and arm.",
      labelNames: ["version", "arm"],
      collect,
      registers,
    }),
    onlineCtrBound: new Gauge({
      name: "reelrank_online_ctr_bound_ratio",
      help: "Bounds (lower, upper) of the 95% Wilson interval of reelrank_online_ctr_ratio.",
      labelNames: ["version", "arm", "bound"],
      collect,
      registers,
    }),
    onlineWatchRateBound: new Gauge({
      name: "reelrank_online_watch_rate_bound_ratio",
      help: "Bounds (lower, upper) of the 95% Wilson interval of reelrank_online_watch_rate_ratio.",
      labelNames: ["version", "arm", "bound"],
      collect,
      registers,
    }),
    onlineReciprocalPositionBound: new Gauge({
      name: "reelrank_online_watched_reciprocal_position_bound_ratio",
      help: "Bounds (lower, upper) of the 95% normal interval of " +
        "reelrank_online_watched_reciprocal_position_ratio.",
      labelNames: ["version", "arm", "bound"],
      collect,
      registers,
    }),
  };
  for (const g of UNLABELLED_UNTIL_KNOWN) unset(metrics[g]);
  return metrics;
}

// Unlabelled gauges that mean nothing until set: prom-client would show them as 0 (a model
// created in 1970 would fire the age alert), so they have no sample until they are known.
const UNLABELLED_UNTIL_KNOWN = [
  "modelCreated",
  "snapshotCreated",
  "driftPsiThreshold",
  "recommendationOverlap",
] as const;

/** Removes every sample of `gauge`, including the 0 prom-client keeps for an unlabelled one. */
export function unset(gauge: Gauge<string>): void {
  gauge.reset();
  gauge.remove();
}

/** Marks `served` as the version in service (or none): its info, validation NDCG@10 and age. */
export function setModelInfo(
  metrics: Metrics,
  served: Pick<ModelVersion, "version" | "runId" | "metrics" | "createdAt"> | null,
): void {
  metrics.modelInfo.reset();
  metrics.modelValidationNdcg10.reset();
  unset(metrics.modelCreated);
  if (served === null) return;
  const version = String(served.version);
  metrics.modelInfo.set({ version, run: served.runId ?? "" }, 1);
  const ndcg = served.metrics.val_ndcg10;
  if (Number.isFinite(ndcg)) metrics.modelValidationNdcg10.set({ version }, ndcg);
  metrics.modelCreated.set(served.createdAt.getTime() / 1000);
}

/** Sets the snapshot gauges from a snapshot's per-table rows and stored bytes. */
export function exportSnapshot(
  metrics: Metrics,
  snapshot: { createdAt: Date; tables: Record<string, { rows: number; bytes: number }> },
): void {
  metrics.snapshotRows.reset();
  metrics.snapshotBytes.reset();
  for (const [table, t] of Object.entries(snapshot.tables)) {
    metrics.snapshotRows.set({ table }, t.rows);
    metrics.snapshotBytes.set({ table }, t.bytes);
  }
  metrics.snapshotCreated.set(snapshot.createdAt.getTime() / 1000);
}
