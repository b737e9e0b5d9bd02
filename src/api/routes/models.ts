/** /models: the registry's versions; promote and rollback behind the admin token. */
import { createRoute, z } from "@hono/zod-openapi";
import { STAGING } from "../../online/canary.ts";
import { ReelrankError } from "../../errors.ts";
import { MODEL_NAME, PRODUCTION } from "../../registry/store.ts";
import type { AliasChange, ModelVersion } from "../../registry/store.ts";
import type { AppDeps } from "../deps.ts";
import { adminAuth } from "../middleware/admin_auth.ts";
import { router } from "../router.ts";
import { errors, json, pathId } from "../schemas/common.ts";

const Version = z.object({
  version: z.int(),
  aliases: z.array(z.string()).openapi({ example: ["production"] }),
  sha256: z.string(),
  size: z.int(),
  runId: z.string().nullable(),
  snapshotId: z.string().nullable(),
  family: z.string().nullable().openapi({
    description: "mlp, ease or itemknn; null before families",
  }),
  metrics: z.record(z.string(), z.number()),
  createdAt: z.string().openapi({ format: "date-time" }),
}).openapi("ModelVersion");

const Models = z.object({
  model: z.string(),
  serving: z.int().nullable().openapi({ description: "the version this server answers with" }),
  versions: z.array(Version).openapi({ description: "newest first" }),
}).openapi("ModelList");

const Change = z.object({
  alias: z.string(),
  fromVersion: z.int().nullable(),
  toVersion: z.int().nullable(),
  kind: z.string(),
  reason: z.string(),
  changedAt: z.string().openapi({ format: "date-time" }),
  serving: z.int().nullable().openapi({ description: "the version this server answers with now" }),
}).openapi("AliasChange");

const Rollback = z.object({
  version: z.int().positive().optional().openapi({ description: "default: the previous one" }),
  reason: z.string().max(500).optional(),
}).openapi("RollbackRequest");

const version = (v: ModelVersion) => ({
  version: v.version,
  aliases: v.aliases,
  sha256: v.sha256,
  size: v.size,
  runId: v.runId,
  snapshotId: v.snapshotId,
  family: v.family,
  metrics: v.metrics,
  createdAt: v.createdAt.toISOString(),
});

const security = [{ adminToken: [] }];

/** The models resource. */
export function modelsRoutes(deps: AppDeps) {
  const serving = () => deps.serving.version();
  const change = async (c: AliasChange) => {
    // This process switches now; other servers follow the NOTIFY (or their poll).
    await deps.serving.watcher.check();
    return {
      alias: c.alias,
      fromVersion: c.fromVersion,
      toVersion: c.toVersion,
      kind: c.kind,
      reason: c.reason,
      changedAt: c.changedAt.toISOString(),
      serving: serving(),
    };
  };
  const app = router();
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "REELRANK_ADMIN_TOKEN (generated into the data folder when unset)",
  });
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/models",
        tags: ["models"],
        summary: "Registered versions of the served model, with aliases and metrics",
        responses: { 200: json(Models, "The versions") },
      }),
      async (c) => {
        const known = (await deps.registry.listModels()).some((m) => m.name === MODEL_NAME);
        const versions = known ? await deps.registry.listVersions(MODEL_NAME) : [];
        return c.json(
          { model: MODEL_NAME, serving: serving(), versions: versions.map(version) },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/models/{version}/promote",
        tags: ["admin"],
        summary: "Make a version production, whatever its metrics (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        request: { params: z.object({ version: pathId("version") }) },
        responses: { 200: json(Change, "The alias move"), ...errors(400, 401, 404) },
      }),
      async (c) => {
        const { version: v } = c.req.valid("param");
        return c.json(await change(await deps.registry.promote(MODEL_NAME, v)), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/models/{version}/stage",
        tags: ["admin"],
        summary: "Make a version staging, for a canary or shadow (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        request: { params: z.object({ version: pathId("version") }) },
        responses: { 200: json(Change, "The alias move"), ...errors(400, 401, 404, 409) },
      }),
      async (c) => {
        const { version: v } = c.req.valid("param");
        const production = await deps.registry.getAlias(MODEL_NAME, PRODUCTION).catch(() => null);
        if (production?.version === v) {
          throw new ReelrankError("CONFLICT", `version ${v} is production already; stage another`);
        }
        const [moved] = await deps.registry.setAliases(MODEL_NAME, { [STAGING]: v }, {
          reason: "staged for a canary",
        });
        await deps.serving.online.check();
        const staged = moved ?? {
          alias: STAGING,
          fromVersion: v,
          toVersion: v,
          kind: "set" as const,
          reason: "already staging",
          changedAt: deps.clock(),
        };
        return c.json(await change(staged as AliasChange), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/models/rollback",
        tags: ["admin"],
        summary: "Move production back to the previous version, or to a given one (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        request: {
          body: { required: false, content: { "application/json": { schema: Rollback } } },
        },
        responses: { 200: json(Change, "The alias move"), ...errors(400, 401, 404, 409) },
      }),
      async (c) => {
        const b = c.req.valid("json") ?? {};
        return c.json(
          await change(
            await deps.registry.rollback(MODEL_NAME, { version: b.version, reason: b.reason }),
          ),
          200,
        );
      },
    );
}
