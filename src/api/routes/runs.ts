/** /runs: tracked training runs with params, latest metrics and per-step metric history. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Run } from "../../tracking/store.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { errors, json } from "../schemas/common.ts";

const RunSchema = z.object({
  id: z.string(),
  experiment: z.string(),
  name: z.string(),
  status: z.enum(["running", "finished", "failed", "killed"]),
  statusReason: z.string().nullable(),
  startTime: z.string().openapi({ format: "date-time" }),
  endTime: z.string().nullable().openapi({ format: "date-time" }),
  codeVersion: z.string().nullable(),
  snapshotId: z.string().nullable(),
  parentRunId: z.string().nullable().openapi({
    description: "the run this one is nested in (a family comparison's child), or null",
  }),
  params: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()).openapi({ description: "latest value of each" }),
}).openapi("Run");

const RunPage = z.object({
  items: z.array(RunSchema),
  nextPageToken: z.string().nullable(),
}).openapi("RunPage");

const Point = z.object({ step: z.int(), value: z.number(), timestamp: z.string() });

const RunDetail = RunSchema.extend({
  history: z.record(z.string(), z.array(Point)).openapi({
    description: "every metric logged at more than one step (e.g. per epoch), by step",
  }),
}).openapi("RunDetail");

const ListQuery = z.object({
  status: z.enum(["running", "finished", "failed", "killed"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  pageToken: z.string().max(2000).optional(),
  parent: z.string().min(1).max(200).optional().openapi({
    description: "only the children of this run (e.g. one per family of a comparison)",
  }),
});

const run = (r: Run) => ({
  id: r.id,
  experiment: r.experimentName,
  name: r.name,
  status: r.status,
  statusReason: r.statusReason,
  startTime: r.startTime.toISOString(),
  endTime: r.endTime?.toISOString() ?? null,
  codeVersion: r.codeVersion,
  snapshotId: r.snapshotId,
  parentRunId: r.parentRunId,
  params: r.params,
  tags: r.tags,
  metrics: r.metrics,
});

/** The runs resource. */
export function runsRoutes(deps: AppDeps) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/runs",
        tags: ["runs"],
        summary: "Tracked runs, newest first",
        request: { query: ListQuery },
        responses: { 200: json(RunPage, "A page of runs"), ...errors(400) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = await deps.tracking.searchRuns({
          filter: {
            ...(q.status ? { status: q.status } : {}),
            ...(q.parent ? { parentRunId: q.parent } : {}),
          },
          limit: q.limit,
          pageToken: q.pageToken,
        });
        return c.json(
          { items: page.items.map(run), nextPageToken: page.nextPageToken ?? null },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/runs/{id}",
        tags: ["runs"],
        summary: "One run with its params and metric history",
        request: {
          params: z.object({
            id: z.string().min(1).max(200).openapi({ param: { name: "id", in: "path" } }),
          }),
        },
        responses: { 200: json(RunDetail, "The run"), ...errors(400, 404) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const r = await deps.tracking.getRun(id);
        const history: Record<string, { step: number; value: number; timestamp: string }[]> = {};
        for (const key of Object.keys(r.metrics).sort()) {
          const points = await deps.tracking.getMetricHistory(id, key);
          if (points.length > 1) {
            history[key] = points.map((p) => ({
              step: p.step,
              value: p.value,
              timestamp: p.timestamp.toISOString(),
            }));
          }
        }
        return c.json({ ...run(r), history }, 200);
      },
    );
}
