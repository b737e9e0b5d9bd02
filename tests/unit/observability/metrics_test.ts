/** Every exported metric follows the Prometheus naming rules and reelrank's prefix. */
import assert from "node:assert/strict";
import { createMetrics } from "../../../src/observability/metrics.ts";

Deno.test("every metric is reelrank_-prefixed, snake_case, and suffixed by its type and unit", async () => {
  const metrics = createMetrics();
  const json = await metrics.registry.getMetricsAsJSON();
  const labels = new Map(
    (metrics.registry.getMetricsAsArray() as unknown as { name: string; labelNames: string[] }[])
      .map((m) => [m.name, m.labelNames]),
  );
  const all = json.map((m) => ({ name: m.name, type: String(m.type), labels: labels.get(m.name) }));
  assert.ok(all.length >= 5);
  for (const m of all) {
    assert.match(m.name, /^reelrank_[a-z][a-z0-9_]*[a-z0-9]$/, m.name);
    assert.ok(!/__/.test(m.name), m.name);
    if (m.type === "counter") assert.match(m.name, /_total$/, m.name);
    else assert.doesNotMatch(m.name, /_total$/, m.name);
    if (/duration|latency|time/.test(m.name)) assert.match(m.name, /_seconds$/, m.name);
    assert.ok(!/(_ms|_milliseconds|_bytes_total)$/.test(m.name), m.name);
    for (const label of m.labels ?? []) {
      assert.notEqual(label, "path", `${m.name} has a path label`);
    }
  }
  const names = all.map((m) => m.name);
  for (
    const required of [
      "reelrank_http_requests_total",
      "reelrank_http_request_duration_seconds",
      "reelrank_model_info",
    ]
  ) assert.ok(names.includes(required), required);
});
