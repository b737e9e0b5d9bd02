/** /pipeline: DAGs, runs with their tasks, attempts and logs; starting a run behind the admin token. */
import { createRoute, z } from "@hono/zod-openapi";
import { unavailable } from "../../errors.ts";
import { attemptToJson, logToJson, runToJson } from "../../pipeline/json.ts";
import type { PipelineService } from "../../pipeline/service.ts";
import { RUN_STATUSES, TASK_STATUSES, TRIGGERS } from "../../pipeline/store.ts";
import type { AppDeps } from "../deps.ts";
import { adminAuth } from "../middleware/admin_auth.ts";
import { router } from "../router.ts";
import { errors, json } from "../schemas/common.ts";
import { trainingParamsSchema } from "../schemas/training_params.ts";

const date = z.string().openapi({ format: "date-time" });
const Result = z.unknown().openapi({
  description: "the task's result handed downstream: ids, object keys and a few numbers",
});

const Task = z.object({
  taskId: z.string(),
  status: z.enum(TASK_STATUSES as [string, ...string[]]),
  tries: z.int(),
  result: Result,
  startedAt: date.nullable(),
  endedAt: date.nullable(),
}).openapi("PipelineTask");

const Run = z.object({
  id: z.string().openapi({ example: "recommend-20260101T030000Z-3f9a1c" }),
  dag: z.string().openapi({ example: "recommend" }),
  trigger: z.enum(TRIGGERS as [string, ...string[]]),
  logicalDate: date,
  params: z.record(z.string(), z.unknown()),
  status: z.enum(RUN_STATUSES as [string, ...string[]]),
  statusReason: z.string().nullable(),
  fromRunId: z.string().nullable(),
  fromTask: z.string().nullable(),
  createdAt: date,
  startedAt: date.nullable(),
  endedAt: date.nullable(),
  heartbeatAt: date,
  host: z.string(),
  pid: z.int().nullable(),
  tasks: z.array(Task).openapi({ description: "in the DAG's dependency order" }),
}).openapi("PipelineRun");

const RunPage = z.object({
  items: z.array(Run),
  nextBefore: z.string().nullable().openapi({
    description: "pass as `before` for older runs; null on the last page",
  }),
}).openapi("PipelineRunPage");

const Attempt = z.object({
  taskId: z.string(),
  attempt: z.int(),
  status: z.enum(["running", "success", "failed", "timeout"]),
  startedAt: date,
  endedAt: date.nullable(),
  durationSeconds: z.number().nullable(),
  error: z.string().nullable(),
  permanent: z.boolean(),
  result: Result,
}).openapi("PipelineAttempt");

const LogLine = z.object({
  taskId: z.string(),
  attempt: z.int(),
  seq: z.int(),
  at: date,
  level: z.enum(["debug", "info", "warn", "error"]),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()),
}).openapi("PipelineLogLine");

const Dag = z.object({
  id: z.string(),
  description: z.string(),
  tasks: z.array(z.object({
    id: z.string(),
    description: z.string(),
    upstream: z.array(z.string()),
    retries: z.int(),
    timeoutSeconds: z.number(),
  })),
  params: z.array(z.object({
    name: z.string(),
    task: z.string(),
    help: z.string(),
    default: z.unknown(),
  })),
}).openapi("PipelineDag");

const RunDetail = Run.extend({
  attempts: z.array(Attempt),
  logs: z.array(LogLine).openapi({
    description: "every stored line, or those of `task`/`attempt`",
  }),
}).openapi("PipelineRunDetail");

// The training parameters are typed from the hyperparameter table; the DAG's others (source,
// families, k, …) pass on to the engine, which checks every name and value against the DAG's own
// table (an unknown name is a 400 that lists the DAG's parameters).
const RunParams = trainingParamsSchema().catchall(z.unknown()).openapi("PipelineRunParams", {
  description: "overrides of the DAG's parameters (GET /pipeline/dags lists them): the training " +
    "ones as the hyperparameter table types them, the DAG's others checked against its own table",
  example: { epochs: 10, lr: 0.01, families: "mlp,ease" },
});

const Trigger = z.object({
  dag: z.string().default("recommend"),
  trigger: z.enum(["api", "manual"]).default("api").openapi({
    description: "manual when a person asked for it (the CLI sends that), api otherwise",
  }),
  params: RunParams.optional(),
  logicalDate: z.iso.datetime({ offset: true }).optional().openapi({
    description: "the date the run stands for; default: now",
  }),
  from: z.object({ runId: z.string().min(1).max(200), taskId: z.string().min(1).max(63) })
    .optional().openapi({
      description: "re-run that finished run from that task, reusing the results upstream of it",
    }),
}).openapi("PipelineTriggerRequest");

const Started = z.object({
  id: z.string(),
  status: z.literal("queued"),
  url: z.string().openapi({ description: "where to follow it" }),
}).openapi("PipelineRunStarted");

const RunId = z.object({
  id: z.string().min(1).max(200).openapi({ param: { name: "id", in: "path" } }),
});

function service(deps: AppDeps): PipelineService {
  if (!deps.pipeline) throw unavailable("this server runs no pipeline engine");
  return deps.pipeline;
}

/** The pipeline resource. */
export function pipelineRoutes(deps: AppDeps) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/pipeline/dags",
        tags: ["pipeline"],
        summary: "The DAGs: tasks, their upstream tasks, and the run parameters",
        responses: { 200: json(z.array(Dag), "The DAGs"), ...errors(503) },
      }),
      (c) => c.json(service(deps).dags(), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/pipeline/runs",
        tags: ["pipeline"],
        summary: "Pipeline runs with the state of each task, newest first",
        request: {
          query: z.object({
            dag: z.string().max(63).optional(),
            status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(25),
            before: z.string().max(200).optional(),
          }),
        },
        responses: { 200: json(RunPage, "A page of runs"), ...errors(400, 503) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = await service(deps).listRuns({
          dag: q.dag,
          status: q.status as never,
          limit: q.limit,
          before: q.before,
        });
        return c.json({
          items: page.items.map(runToJson),
          nextBefore: page.more ? page.items.at(-1)!.id : null,
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/pipeline/runs/{id}",
        tags: ["pipeline"],
        summary: "One run: its tasks, every attempt, and the attempts' log lines",
        request: {
          params: RunId,
          query: z.object({
            task: z.string().max(63).optional(),
            attempt: z.coerce.number().int().min(1).optional(),
            logs: z.enum(["all", "none"]).default("all").openapi({
              description: "none leaves the log lines out (to follow a run's state)",
            }),
          }),
        },
        responses: { 200: json(RunDetail, "The run"), ...errors(400, 404, 503) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const q = c.req.valid("query");
        const p = service(deps);
        const run = await p.getRun(id);
        const [attempts, logs] = await Promise.all([
          p.listAttempts(id),
          q.logs === "none" ? [] : p.readLogs(id, { taskId: q.task, attempt: q.attempt }),
        ]);
        return c.json({
          ...runToJson(run),
          attempts: attempts.map(attemptToJson),
          logs: logs.map(logToJson),
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/pipeline/runs",
        tags: ["admin"],
        summary: "Start a run (admin); 409 while the DAG has an active run",
        security: [{ adminToken: [] }],
        middleware: [adminAuth(deps.adminToken)] as const,
        request: {
          body: { required: false, content: { "application/json": { schema: Trigger } } },
        },
        responses: {
          202: json(Started, "Started; it runs in this server"),
          ...errors(400, 401, 404, 409, 503),
        },
      }),
      async (c) => {
        const b = c.req.valid("json") ?? Trigger.parse({});
        const id = await service(deps).trigger({
          dag: b.dag,
          trigger: b.trigger,
          params: b.params,
          logicalDate: b.logicalDate ? new Date(b.logicalDate) : undefined,
          from: b.from,
        });
        const url = `/api/v1/pipeline/runs/${encodeURIComponent(id)}`;
        c.header("Location", url);
        return c.json({ id, status: "queued" as const, url }, 202);
      },
    );
}
