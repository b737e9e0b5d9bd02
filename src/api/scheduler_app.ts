/** The scheduler's own small HTTP app: /health (alive) and /metrics (the same metrics module), for Prometheus to scrape. */
import { Hono } from "hono";
import type { Metrics } from "../observability/metrics.ts";

/** The app `deno task scheduler` serves on SCHEDULER_PORT. */
export function createSchedulerApp(deps: { metrics: Metrics }): Hono {
  return new Hono()
    .get("/health", (c) => c.json({ status: "ok" as const, role: "scheduler" }))
    .get("/metrics", async (c) =>
      c.text(await deps.metrics.registry.metrics(), 200, {
        "Content-Type": deps.metrics.registry.contentType,
      }))
    .notFound((c) =>
      c.json({
        error: {
          code: "NOT_FOUND",
          message: `the scheduler answers /health and /metrics, not ${c.req.path}`,
        },
      }, 404)
    );
}
