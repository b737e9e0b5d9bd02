/**
 * The source of reelrank's Grafana dashboards: `deno run -A monitoring/grafana/dashboards.ts`
 * writes monitoring/grafana/dashboards/*.json from the panels below (a test checks the files are
 * current). Panels name their data source by the uids of provisioning/datasources/reelrank.yml;
 * every metric is one of src/observability/metrics.ts and every log label or field one the
 * logger and promtail really produce (both tested).
 */

/** The data sources' fixed uids. */
export const PROMETHEUS = { type: "prometheus", uid: "reelrank-prometheus" } as const;
export const LOKI = { type: "loki", uid: "reelrank-loki" } as const;

type Kind = "timeseries" | "stat" | "logs";

interface PanelSpec {
  kind: Kind;
  title: string;
  description: string;
  /** PromQL (or LogQL for logs panels) with its legend. */
  targets: { expr: string; legend?: string }[];
  unit?: string;
  /** The targets are LogQL (Loki), not PromQL. */
  loki?: boolean;
}

const ts = (
  title: string,
  description: string,
  targets: PanelSpec["targets"],
  unit = "short",
): PanelSpec => ({ kind: "timeseries", title, description, targets, unit });
const stat = (
  title: string,
  description: string,
  targets: PanelSpec["targets"],
  unit = "short",
): PanelSpec => ({ kind: "stat", title, description, targets, unit });
const logs = (title: string, description: string, expr: string): PanelSpec => ({
  kind: "logs",
  title,
  description,
  targets: [{ expr }],
  loki: true,
});

const quantiles = (metric: string, by = "") =>
  [0.5, 0.9, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}le) (rate(${metric}_bucket[5m])))`,
    legend: by ? `p${q * 100} {{${by.replace(/, $/, "")}}}` : `p${q * 100}`,
  }));

/** The panels of each dashboard, in reading order. */
export const DASHBOARDS: Record<string, { title: string; panels: PanelSpec[] }> = {
  api: {
    title: "reelrank · API",
    panels: [
      stat("Targets up", "1 when Prometheus scraped the process at its last try.", [
        { expr: 'up{job=~"workhorse|controltower"}', legend: "{{job}} {{instance}}" },
      ]),
      stat("5xx ratio", "Share of requests answered 5xx over 5 minutes (alert above 5%).", [{
        expr: '(sum(rate(reelrank_http_requests_total{status=~"5.."}[5m])) or ' +
          "sum(rate(reelrank_http_requests_total[5m])) * 0) / " +
          "sum(rate(reelrank_http_requests_total[5m]))",
        legend: "5xx",
      }], "percentunit"),
      ts("Requests per second by route", "Route patterns, never raw paths.", [{
        expr: "sum by (route) (rate(reelrank_http_requests_total[5m]))",
        legend: "{{route}}",
      }], "reqps"),
      ts("Requests per second by status", "2xx, 4xx and 5xx answers.", [{
        expr: "sum by (status) (rate(reelrank_http_requests_total[5m]))",
        legend: "{{status}}",
      }], "reqps"),
      ts(
        "Latency percentiles",
        "p50, p90 and p99 of request durations over every route (alert: p99 above 500 ms).",
        quantiles("reelrank_http_request_duration_seconds"),
        "s",
      ),
      ts("p99 latency by route", "The slowest routes first.", [{
        expr: "histogram_quantile(0.99, sum by (route, le) " +
          "(rate(reelrank_http_request_duration_seconds_bucket[5m])))",
        legend: "{{route}}",
      }], "s"),
      ts("Recommendations served by strategy", "model, or popularity for unknown users.", [{
        expr: "sum by (strategy) (rate(reelrank_recommendations_served_total[5m]))",
        legend: "{{strategy}}",
      }], "reqps"),
      ts("Recommendation cache hit ratio", "Per-user answers served from the cache.", [{
        expr: 'sum(rate(reelrank_recommendation_cache_lookups_total{result="hit"}[5m])) / ' +
          "sum(rate(reelrank_recommendation_cache_lookups_total[5m]))",
        legend: "hits",
      }], "percentunit"),
      ts("Events posted", "Stored and duplicate events per second.", [{
        expr: "sum by (outcome) (rate(reelrank_events_total[5m]))",
        legend: "{{outcome}}",
      }], "reqps"),
      ts("Process CPU and memory", "CPU seconds per second and resident memory of each process.", [
        { expr: "rate(process_cpu_seconds_total[5m])", legend: "cpu {{job}}" },
        { expr: "process_resident_memory_bytes / 2^30", legend: "RSS GiB {{job}}" },
      ]),
      ts("Event-loop lag p99", "A busy main thread answers everything late.", [{
        expr: "nodejs_eventloop_lag_p99_seconds",
        legend: "{{job}}",
      }], "s"),
      {
        ...ts("Errors logged per module", "Error lines per module in 5 minutes (Loki).", [{
          expr: 'sum by (module) (count_over_time({job="reelrank", level="error"} | json [5m]))',
          legend: "{{module}}",
        }]),
        loki: true,
      },
      logs(
        "Server errors by request id",
        "Requests that failed inside the server, with the cause; callers quote the request id.",
        '{job="reelrank", role="workhorse", level="error"} | json | request_id != ""',
      ),
      logs(
        "Refused and failed requests (LOG_LEVEL=debug)",
        "Access lines of 4xx and 5xx answers, with route, status, time taken and request id.",
        '{job="reelrank", role="workhorse"} | json | msg="request" | status=~"[45].."',
      ),
    ],
  },
  model: {
    title: "reelrank · Model",
    panels: [
      stat("Model version in service", "The production version each server answers with.", [{
        expr: "max by (version, run) (reelrank_model_info)",
        legend: "v{{version}} (run {{run}})",
      }]),
      stat("Model age", "Days since the version in service was registered (alert above 7).", [{
        expr: "(time() - max(reelrank_model_created_timestamp_seconds)) / 86400",
        legend: "days",
      }]),
      ts(
        "Version timeline",
        "Which version served when: one line per version, 1 while it is in service.",
        [{ expr: "max by (version) (reelrank_model_info)", legend: "v{{version}}" }],
      ),
      ts("Validation NDCG@10 over versions", "As registered for each version in service.", [{
        expr: "max by (version) (reelrank_model_validation_ndcg10)",
        legend: "v{{version}}",
      }]),
      ts(
        "Inference latency",
        "Time to score one micro-batch (queueing excluded).",
        quantiles("reelrank_inference_batch_duration_seconds"),
        "s",
      ),
      ts("Micro-batch size", "Histories scored together: mean and p90.", [
        {
          expr: "sum(rate(reelrank_inference_batch_histories_sum[5m])) / " +
            "sum(rate(reelrank_inference_batch_histories_count[5m]))",
          legend: "mean",
        },
        {
          expr: "histogram_quantile(0.9, sum by (le) " +
            "(rate(reelrank_inference_batch_histories_bucket[5m])))",
          legend: "p90",
        },
      ]),
      ts("Switches and load failures", "Model switches and failed loads in the last hour.", [
        { expr: "sum(increase(reelrank_model_switches_total[1h]))", legend: "switches" },
        {
          expr: "sum(increase(reelrank_model_load_failures_total[1h])) or vector(0)",
          legend: "load failures",
        },
      ]),
      ts("Data drift (PSI)", "Per feature, against the threshold (alert above it).", [
        { expr: "max by (feature) (reelrank_drift_psi)", legend: "{{feature}}" },
        { expr: "max(reelrank_drift_psi_threshold)", legend: "threshold" },
      ]),
      ts(
        "Recommendation overlap@10",
        "Share of a user's top 10 kept from the previous batch.",
        [{ expr: "max(reelrank_drift_recommendation_overlap_ratio)", legend: "overlap@10" }],
        "percentunit",
      ),
      stat("Since the last drift check", "By kind (data, recommendations).", [{
        expr: "time() - max by (kind) (reelrank_drift_last_check_timestamp_seconds)",
        legend: "{{kind}}",
      }], "s"),
      ts(
        "Online rates by version and arm",
        "Last hour: share of impressions with a watch / a click in the top 10, and the mean " +
          "1/position of watched items; canary arms side by side.",
        [
          {
            expr: "max by (version, arm) (reelrank_online_watch_rate_ratio)",
            legend: "watch v{{version}} {{arm}}",
          },
          {
            expr: "max by (version, arm) (reelrank_online_ctr_ratio)",
            legend: "CTR@10 v{{version}} {{arm}}",
          },
          {
            expr: "max by (version, arm) (reelrank_online_watched_reciprocal_position_ratio)",
            legend: "1/position v{{version}} {{arm}}",
          },
        ],
        "percentunit",
      ),
      ts(
        "Online rates with their 95 % intervals",
        "Last hour, per version and arm: watch rate and CTR@10 between the bounds of their " +
          "Wilson intervals, the mean 1/position between its normal interval's. Arms whose " +
          "intervals do not overlap differ; overlapping ones are not settled.",
        (
          [
            ["watch", "reelrank_online_watch_rate"],
            ["CTR@10", "reelrank_online_ctr"],
            ["1/position", "reelrank_online_watched_reciprocal_position"],
          ] as const
        ).flatMap(([what, metric]) => [
          {
            expr: `max by (version, arm) (${metric}_ratio)`,
            legend: `${what} v{{version}} {{arm}}`,
          },
          ...(["lower", "upper"] as const).map((bound) => ({
            expr: `max by (version, arm) (${metric}_bound_ratio{bound="${bound}"})`,
            legend: `${what} v{{version}} {{arm}} ${bound}`,
          })),
        ]),
        "percentunit",
      ),
      ts(
        "Impressions, canary and shadow",
        "Impressions per second by arm, written and dropped; outcomes; shadow lists; the shares.",
        [
          { expr: "sum by (arm) (rate(reelrank_impressions_total[5m]))", legend: "{{arm}}/s" },
          { expr: "sum(rate(reelrank_impressions_written_total[5m]))", legend: "written/s" },
          {
            expr: "sum by (reason) (rate(reelrank_impressions_dropped_total[5m])) or vector(0)",
            legend: "dropped ({{reason}})/s",
          },
          {
            expr: "sum by (type) (rate(reelrank_impression_outcomes_total[5m]))",
            legend: "{{type}}/s",
          },
          { expr: "sum(rate(reelrank_shadow_lists_total[5m]))", legend: "shadow lists/s" },
          {
            expr: "sum by (reason) (rate(reelrank_shadow_skipped_total[5m])) or vector(0)",
            legend: "shadow skipped ({{reason}})/s",
          },
          { expr: "max(reelrank_online_impressions)", legend: "impressions, last hour" },
          { expr: "max(reelrank_canary_share_ratio)", legend: "canary share" },
          { expr: "max(reelrank_shadow_share_ratio)", legend: "shadow share" },
        ],
      ),
      logs(
        "Model and drift logs",
        "Model switches, load failures and drift reports.",
        '{job="reelrank"} | json | module=~"serving/.*|observability/drift"',
      ),
    ],
  },
  pipeline: {
    title: "reelrank · Pipeline",
    panels: [
      stat("Since the last successful run", "Per DAG (alert above 26 hours).", [{
        expr: "time() - max by (dag) (reelrank_pipeline_last_success_timestamp_seconds)",
        legend: "{{dag}}",
      }], "s"),
      stat("Run active", "1 while a run of the DAG executes.", [{
        expr: "max by (dag) (reelrank_pipeline_run_active)",
        legend: "{{dag}}",
      }]),
      ts("Runs by status", "Finished runs per day, by DAG, trigger and status.", [{
        expr: "sum by (dag, trigger, status) (increase(reelrank_pipeline_runs_total[1d]))",
        legend: "{{dag}} {{trigger}} {{status}}",
      }]),
      ts("Failed runs", "Failed runs per day (alert on any in the last hour).", [{
        expr: 'sum by (dag) (increase(reelrank_pipeline_runs_total{status="failed"}[1d])) ' +
          "or vector(0)",
        legend: "{{dag}}",
      }]),
      ts("Task durations", "Mean duration of each task's attempts over a day.", [{
        expr: "sum by (task) (increase(reelrank_pipeline_task_duration_seconds_sum[1d])) / " +
          "sum by (task) (increase(reelrank_pipeline_task_duration_seconds_count[1d]))",
        legend: "{{task}}",
      }], "s"),
      ts("Task attempts by outcome", "success, failed or timeout, per day.", [{
        expr: "sum by (task, outcome) (increase(reelrank_pipeline_task_attempts_total[1d]))",
        legend: "{{task}} {{outcome}}",
      }]),
      logs(
        "Run logs",
        "Lines that carry a pipeline run id.",
        '{job="reelrank"} | json | run_id != ""',
      ),
    ],
  },
  data: {
    title: "reelrank · Data",
    panels: [
      stat("Stored rows", "Rows per data table now.", [{
        expr: "max by (table) (reelrank_data_rows)",
        legend: "{{table}}",
      }]),
      stat("Since the last successful ingest", "Per source.", [{
        expr: "time() - max by (source) (reelrank_ingest_last_success_timestamp_seconds)",
        legend: "{{source}}",
      }], "s"),
      ts("Rows ingested", "Records accepted per day, by source and kind.", [{
        expr:
          'sum by (source, table) (increase(reelrank_ingest_rows_total{outcome="accepted"}[1d]))',
        legend: "{{source}} {{table}}",
      }]),
      ts("Rows rejected", "Records that failed the data contract per day, by source.", [{
        expr: 'sum by (source) (increase(reelrank_ingest_rows_total{outcome="rejected"}[1d])) ' +
          "or vector(0)",
        legend: "{{source}}",
      }]),
      ts("Snapshot size", "Stored (gzipped) bytes per table of the newest snapshot.", [{
        expr: "max by (table) (reelrank_snapshot_bytes)",
        legend: "{{table}}",
      }], "bytes"),
      ts("Snapshot rows", "Rows per table of the newest snapshot.", [{
        expr: "max by (table) (reelrank_snapshot_rows)",
        legend: "{{table}}",
      }]),
      stat("Snapshot age", "Since the newest snapshot was taken.", [{
        expr: "time() - max(reelrank_snapshot_created_timestamp_seconds)",
        legend: "age",
      }], "s"),
      logs(
        "Ingest and snapshot logs",
        "What the ingests and snapshots said, warnings first.",
        '{job="reelrank"} | json | module=~"data/.*|snapshot"',
      ),
    ],
  },
};

const SIZE: Record<Kind, { w: number; h: number }> = {
  stat: { w: 6, h: 4 },
  timeseries: { w: 12, h: 8 },
  logs: { w: 24, h: 10 },
};

/** One dashboard's Grafana JSON: ids in order, panels laid out left to right. */
export function dashboardJson(uid: string): Record<string, unknown> {
  const spec = DASHBOARDS[uid];
  let x = 0, y = 0, rowHeight = 0;
  const panels = spec.panels.map((p, i) => {
    const { w, h } = SIZE[p.kind];
    if (x + w > 24) [x, y, rowHeight] = [0, y + rowHeight, 0];
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const datasource = p.loki ? LOKI : PROMETHEUS;
    return {
      id: i + 1,
      type: p.kind,
      title: p.title,
      description: p.description,
      datasource,
      gridPos,
      ...(p.kind === "logs"
        ? { options: { showTime: true, wrapLogMessage: true, sortOrder: "Descending" } }
        : { fieldConfig: { defaults: { unit: p.unit }, overrides: [] } }),
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: t.expr,
        ...(t.legend ? { legendFormat: t.legend } : {}),
      })),
    };
  });
  return {
    uid: `reelrank-${uid}`,
    title: spec.title,
    tags: ["reelrank"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    panels,
  };
}

if (import.meta.main) {
  const dir = new URL("./dashboards/", import.meta.url);
  for (const uid of Object.keys(DASHBOARDS)) {
    await Deno.writeTextFile(
      new URL(`${uid}.json`, dir),
      JSON.stringify(dashboardJson(uid), null, 2) + "\n",
    );
  }
}
