/** /online: online metrics per version, the canary (admin: set, stop, judge, promote) and impressions of in-browser rankings. */
import { createRoute } from "@hono/zod-openapi";
import { invalid, ReelrankError } from "../../errors.ts";
import { getCanary, promoteStaging, setCanary, STAGING } from "../../online/canary.ts";
import { judgeCanary } from "../../online/canary_rule.ts";
import { newImpressionId } from "../../online/impressions.ts";
import { onlineMetrics, parseWindow, shadowMetrics } from "../../online/online_metrics.ts";
import { MODEL_NAME, PRODUCTION } from "../../registry/store.ts";
import type { AppDeps } from "../deps.ts";
import { adminAuth } from "../middleware/admin_auth.ts";
import { router } from "../router.ts";
import { errors, json } from "../schemas/common.ts";
import {
  BrowserImpression,
  Canary,
  CanaryPatch,
  ImpressionCreated,
  MetricsQuery,
  OnlineReport,
  Verdict,
} from "../schemas/online.ts";
import { z } from "@hono/zod-openapi";

const security = [{ adminToken: [] }];

const Promoted = z.object({
  fromVersion: z.int().nullable(),
  toVersion: z.int(),
  serving: z.int().nullable(),
}).openapi("CanaryPromotion");

const Judged = Verdict.extend({ promoted: z.boolean() }).openapi("CanaryJudgement");

/** The online resource. */
export function onlineRoutes(deps: AppDeps) {
  const online = () => deps.serving.online;
  const db = deps.db;
  const stores = { db, registry: deps.registry };
  const alias = (name: string) =>
    deps.registry.getAlias(MODEL_NAME, name).catch(() => null).then((v) => v?.version ?? null);
  const canary = async () => {
    const [s, productionVersion, stagingVersion] = await Promise.all([
      getCanary(db, MODEL_NAME),
      alias(PRODUCTION),
      alias(STAGING),
    ]);
    return {
      share: s.share,
      shadowShare: s.shadowShare,
      autoPromote: s.autoPromote,
      minImpressions: s.minImpressions,
      alpha: s.alpha,
      startedAt: s.startedAt?.toISOString() ?? null,
      productionVersion,
      stagingVersion,
      stagingLoaded: online().staging.current?.version.version ?? null,
    };
  };
  // This server follows at once; others through the alias channel or their poll.
  const follow = async () => {
    await deps.serving.watcher.check();
    await online().check();
  };
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/online/metrics",
        tags: ["online"],
        summary: "Online metrics per model version and arm over a window, with 95 % intervals",
        description: "CTR@k and watch rate (share of impressions with a click / a watch in the " +
          "top k, Wilson intervals), the mean reciprocal position of watched items (normal " +
          "interval), staging's shadow lists, and the canary's state.",
        request: { query: MetricsQuery },
        responses: { 200: json(OnlineReport, "The metrics"), ...errors(400) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const ms = parseWindow(q.window);
        if (ms === null) throw invalid(`window: expected at most 90d, got "${q.window}"`);
        const until = new Date(deps.clock().getTime() + 1);
        const since = new Date(until.getTime() - ms);
        const query = { model: MODEL_NAME, since, until, k: q.k };
        const [versions, shadow, state] = await Promise.all([
          onlineMetrics(db, query),
          shadowMetrics(db, query),
          canary(),
        ]);
        return c.json({
          since: since.toISOString(),
          until: until.toISOString(),
          k: q.k,
          versions,
          shadow,
          canary: state,
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/impressions",
        tags: ["online"],
        summary: "Report an impression of movies ranked in the visitor's browser",
        description: "Only the shown movie ids and the model version: the visitor's history " +
          "never leaves the page. Answers the impressionId for click and watch events.",
        request: {
          body: { required: true, content: { "application/json": { schema: BrowserImpression } } },
        },
        responses: { 201: json(ImpressionCreated, "Recorded"), ...errors(400, 404, 413) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        await deps.registry.getVersion(MODEL_NAME, b.modelVersion);
        const catalog = deps.serving.catalog();
        const unknown = b.movieIds.filter((id) => !catalog.has(id));
        if (unknown.length) {
          throw invalid(`movieIds: not known movies: ${unknown.slice(0, 10).join(", ")}`);
        }
        const impressionId = newImpressionId();
        online().impressions.record({
          id: impressionId,
          model: MODEL_NAME,
          userId: null,
          visitorId: b.visitorId ?? null,
          version: b.modelVersion,
          arm: "browser",
          strategy: "model",
          movieIds: b.movieIds,
          shownAt: deps.clock(),
        });
        return c.json({ impressionId }, 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/online/canary",
        tags: ["online"],
        summary: "The canary: its settings, both versions, and what the promotion rule says now",
        responses: { 200: json(Canary.extend({ verdict: Verdict }), "The canary") },
      }),
      async (c) => {
        const { settings: _, ...verdict } = await judgeCanary(stores, MODEL_NAME);
        return c.json({ ...(await canary()), verdict }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/online/canary",
        tags: ["admin"],
        summary: "Set the canary share, the shadow share and the promotion rule (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        request: {
          body: { required: true, content: { "application/json": { schema: CanaryPatch } } },
        },
        responses: { 200: json(Canary, "The canary now"), ...errors(400, 401, 409) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        if (((b.share ?? 0) > 0 || (b.shadowShare ?? 0) > 0) && (await alias(STAGING)) === null) {
          throw new ReelrankError(
            "CONFLICT",
            "no staging version is set: stage one first (POST /api/v1/models/{version}/stage)",
          );
        }
        await setCanary(db, MODEL_NAME, { ...b, now: deps.clock() });
        await follow();
        return c.json(await canary(), 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/online/canary",
        tags: ["admin"],
        summary: "Stop the canary and the shadow: production serves everyone (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        responses: { 200: json(Canary, "The canary now"), ...errors(401) },
      }),
      async (c) => {
        await setCanary(db, MODEL_NAME, { share: 0, shadowShare: 0, now: deps.clock() });
        await follow();
        return c.json(await canary(), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/online/canary/promote",
        tags: ["admin"],
        summary: "Make staging production now and stop the canary (admin)",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        responses: { 200: json(Promoted, "The move"), ...errors(401, 409) },
      }),
      async (c) => {
        const moved = await promoteStaging(stores, MODEL_NAME, {
          reason: "canary: promoted by hand",
          now: deps.clock(),
        });
        await follow();
        return c.json({ ...moved, serving: deps.serving.version() }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/online/canary/evaluate",
        tags: ["admin"],
        summary: "Apply the promotion rule now; promotes staging when it says so (admin)",
        description: "One-sided two-proportion z-test of staging's watch rate against " +
          "production's since the canary started; never with fewer than minImpressions per arm.",
        security,
        middleware: [adminAuth(deps.adminToken)] as const,
        responses: { 200: json(Judged, "The verdict"), ...errors(401, 409) },
      }),
      async (c) => {
        const { settings: _, ...verdict } = await judgeCanary(stores, MODEL_NAME);
        if (verdict.promote) {
          await promoteStaging(stores, MODEL_NAME, {
            reason: `canary rule: ${verdict.reason}`,
            now: deps.clock(),
          });
          await follow();
        }
        return c.json({ ...verdict, promoted: verdict.promote }, 200);
      },
    );
}
