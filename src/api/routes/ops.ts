/** Operational routes: /health (alive), /ready (database and model), /metrics (Prometheus). */
import { createRoute, z } from "@hono/zod-openapi";
import { ping } from "../../data/catalog_queries.ts";
import { getLogger } from "../../log.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { json } from "../schemas/common.ts";

const log = getLogger("api/ops");

const Health = z.object({ status: z.literal("ok") }).openapi("Health");

const Ready = z.object({
  status: z.enum(["ready", "unavailable"]),
  modelVersion: z.int().nullable(),
  reason: z.string().optional().openapi({ description: "why not ready" }),
}).openapi("Ready");

/** The operational routes. */
export function opsRoutes(deps: AppDeps) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/health",
        tags: ["operations"],
        summary: "The process is alive",
        responses: { 200: json(Health, "Alive") },
      }),
      (c) => c.json({ status: "ok" as const }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/ready",
        tags: ["operations"],
        summary: "The database answers and a model is loaded",
        responses: { 200: json(Ready, "Ready"), 503: json(Ready, "Not ready, with the reason") },
      }),
      async (c) => {
        const modelVersion = deps.serving.version();
        try {
          await ping(deps.db);
        } catch (err) {
          log.warn("readiness: the database does not answer", {
            request_id: c.get("requestId"),
            error: err,
          });
          const reason = "the database does not answer";
          return c.json({ status: "unavailable" as const, modelVersion, reason }, 503);
        }
        const problem = deps.serving.problem();
        if (problem) {
          return c.json({ status: "unavailable" as const, modelVersion, reason: problem }, 503);
        }
        return c.json({ status: "ready" as const, modelVersion }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/metrics",
        tags: ["operations"],
        summary: "Prometheus metrics (text exposition format)",
        responses: {
          200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
        },
      }),
      async (c) => {
        const body = await deps.metrics.registry.metrics();
        return c.text(body, 200, { "Content-Type": deps.metrics.registry.contentType });
      },
    );
}
