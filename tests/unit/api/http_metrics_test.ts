/** The request metrics' labels: a bounded `method` label whatever method a client sends. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { methodLabel, observeRequest } from "../../../src/api/middleware/http_metrics.ts";
import type { AppEnv } from "../../../src/api/router.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";

Deno.test("methodLabel() keeps the seven standard methods and calls anything else other", () => {
  for (const m of ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) {
    assert.equal(methodLabel(m), m);
  }
  for (const m of ["PROPFIND", "TRACE", "CONNECT", "patch", "Get", "X".repeat(300), ""]) {
    assert.equal(methodLabel(m), "other", m);
  }
});

Deno.test('requests with junk methods share one method="other" series', async () => {
  const metrics = createMetrics({ defaults: false });
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    observeRequest(metrics, c, started);
  });
  app.all("/things/:id", (c) => c.text("ok"));
  const methods = ["GET", "PATCH", "PROPFIND", "BREW", "JUNK-1", "JUNK-2", "GET"];
  for (const [i, method] of methods.entries()) {
    const res = await app.request(`/things/${i}`, { method });
    assert.equal(res.status, 200, method);
  }
  const { values } = await metrics.httpRequests.get();
  const counts = Object.fromEntries(values.map((v) => [v.labels.method, v.value]));
  assert.deepEqual(counts, { GET: 2, PATCH: 1, other: 4 });
  assert.ok(values.every((v) => v.labels.route === "/things/:id"));
  const durations = (await metrics.httpDuration.get()).values
    .filter((v) => v.metricName === "reelrank_http_request_duration_seconds_count");
  assert.deepEqual(durations.map((v) => v.labels.method).sort(), ["GET", "PATCH", "other"]);
});
