/** Every exported metric follows the Prometheus naming rules and reelrank's prefix; the process metrics work under Deno. */
import assert from "node:assert/strict";
import {
  createMetrics,
  setModelInfo,
  UNSUPPORTED_DEFAULT_METRICS,
} from "../../../src/observability/metrics.ts";

/** Name, type and label names of every metric on the registry. */
async function described(metrics: ReturnType<typeof createMetrics>) {
  const json = await metrics.registry.getMetricsAsJSON();
  const labels = new Map(
    (metrics.registry.getMetricsAsArray() as unknown as { name: string; labelNames: string[] }[])
      .map((m) => [m.name, m.labelNames]),
  );
  return json.map((m) => ({ name: m.name, type: String(m.type), labels: labels.get(m.name) }));
}

Deno.test("every metric is reelrank_-prefixed, snake_case, and suffixed by its type and unit", async () => {
  const all = await described(createMetrics({ defaults: false }));
  assert.ok(all.length >= 20);
  for (const m of all) {
    assert.match(m.name, /^reelrank_[a-z][a-z0-9_]*[a-z0-9]$/, m.name);
    assert.ok(!/__/.test(m.name), m.name);
    if (m.type === "counter") assert.match(m.name, /_total$/, m.name);
    else assert.doesNotMatch(m.name, /_total$/, m.name);
    if (/duration|latency|time/.test(m.name)) assert.match(m.name, /_seconds$/, m.name);
    assert.ok(!/(_ms|_milliseconds|_bytes_total)$/.test(m.name), m.name);
    for (const label of m.labels ?? []) {
      assert.ok(
        !["path", "user", "user_id", "movie", "movie_id"].includes(label),
        `${m.name}: ${label}`,
      );
    }
  }
  const names = all.map((m) => m.name);
  for (
    const required of [
      "reelrank_http_requests_total",
      "reelrank_http_request_duration_seconds",
      "reelrank_model_info",
      "reelrank_model_validation_ndcg10",
      "reelrank_model_created_timestamp_seconds",
      "reelrank_recommendations_served_total",
      "reelrank_ingest_rows_total",
      "reelrank_snapshot_bytes",
      "reelrank_drift_psi",
      "reelrank_drift_recommendation_overlap_ratio",
      "reelrank_pipeline_runs_total",
      "reelrank_pipeline_last_success_timestamp_seconds",
    ]
  ) assert.ok(names.includes(required), required);
});

Deno.test("the process metrics are on by default, without the collectors Deno cannot feed", async () => {
  const metrics = createMetrics();
  const text = await metrics.registry.metrics();
  for (
    const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_open_fds",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_p99_seconds",
    ]
  ) assert.match(text, new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+-]+$`, "m"), name);
  assert.ok(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)![1]) > 1e6);
  for (const name of UNSUPPORTED_DEFAULT_METRICS) {
    assert.doesNotMatch(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
});

Deno.test("setModelInfo() exports the version, its run, validation NDCG@10 and creation time, and clears them", async () => {
  const metrics = createMetrics({ defaults: false });
  const created = new Date("2026-01-02T03:04:05Z");
  // Before any model: no sample at all (a 0 creation time would read as a 56-year-old model).
  assert.deepEqual((await metrics.modelCreated.get()).values, []);
  setModelInfo(metrics, {
    version: 3,
    runId: "r-1",
    metrics: { val_ndcg10: 0.091 },
    createdAt: created,
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /^reelrank_model_info\{version="3",run="r-1"\} 1$/m);
  assert.match(text, /^reelrank_model_validation_ndcg10\{version="3"\} 0.091$/m);
  assert.match(
    text,
    new RegExp(`^reelrank_model_created_timestamp_seconds ${created.getTime() / 1000}$`, "m"),
  );
  setModelInfo(metrics, null);
  const after = await metrics.registry.metrics();
  assert.doesNotMatch(
    after,
    /^reelrank_model_(info|validation_ndcg10|created_timestamp_seconds)[{ ]/m,
  );
});
