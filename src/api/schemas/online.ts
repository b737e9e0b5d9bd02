/** Request and response schemas of the online-evaluation routes: metrics, the canary, browser impressions. */
import { z } from "@hono/zod-openapi";
import { VisitorId } from "./common.ts";

/** A value with its 95 % interval (Wilson for rates, normal for means); null without data. */
export const Estimate = z.object({
  value: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  n: z.int().openapi({ description: "observations behind it" }),
}).openapi("Estimate");

/** Online figures of one version, arm and strategy. */
export const ArmMetrics = z.object({
  version: z.int().nullable(),
  arm: z.enum(["production", "staging", "browser"]),
  strategy: z.enum(["model", "popularity", "similar"]),
  impressions: z.int(),
  clicked: z.int().openapi({ description: "impressions with a click in the top k" }),
  watched: z.int().openapi({ description: "impressions with a watch in the top k" }),
  ctr: Estimate.openapi({ description: "CTR@k: clicked / impressions (Wilson interval)" }),
  watchRate: Estimate.openapi({ description: "watched / impressions (Wilson interval)" }),
  reciprocalPosition: Estimate.openapi({
    description: "mean of 1/position over watched items (normal interval)",
  }),
}).openapi("OnlineArmMetrics");

export const ShadowMetrics = z.object({
  stagingVersion: z.int(),
  lists: z.int(),
  overlap10: z.number().nullable().openapi({ description: "mean overlap@10 with production" }),
  watchedItems: z.int(),
  inStagingList: Estimate.openapi({ description: "share of watched movies staging also listed" }),
  stagingReciprocalPosition: Estimate,
}).openapi("ShadowMetrics");

export const Canary = z.object({
  share: z.number().openapi({ description: "share of users and visitors served by staging" }),
  shadowShare: z.number().openapi({ description: "share of production answers staging shadows" }),
  autoPromote: z.boolean(),
  minImpressions: z.int(),
  alpha: z.number(),
  startedAt: z.string().nullable().openapi({ format: "date-time" }),
  productionVersion: z.int().nullable(),
  stagingVersion: z.int().nullable(),
  stagingLoaded: z.int().nullable().openapi({
    description: "the staging version this server holds",
  }),
}).openapi("Canary");

const Sample = z.object({ version: z.int().nullable(), impressions: z.int(), watched: z.int() });

export const Verdict = z.object({
  promote: z.boolean(),
  reason: z.string(),
  production: Sample,
  staging: Sample,
  z: z.number(),
  pValue: z.number(),
  minImpressions: z.int(),
  alpha: z.number(),
}).openapi("CanaryVerdict");

export const OnlineReport = z.object({
  since: z.string().openapi({ format: "date-time" }),
  until: z.string().openapi({ format: "date-time" }),
  k: z.int(),
  versions: z.array(ArmMetrics),
  shadow: z.array(ShadowMetrics),
  canary: Canary,
}).openapi("OnlineMetrics");

export const MetricsQuery = z.object({
  window: z.string().regex(/^\d{1,6}[smhd]$/, {
    message: "expected a window such as 15m, 1h or 7d",
  }).default("24h").openapi({ example: "1h" }),
  k: z.coerce.number().int().min(1).max(100).default(10),
});

export const CanaryPatch = z.object({
  share: z.number().min(0).max(1).optional(),
  shadowShare: z.number().min(0).max(1).optional(),
  autoPromote: z.boolean().optional(),
  minImpressions: z.int().min(1).max(100_000_000).optional(),
  alpha: z.number().gt(0).lt(0.5).optional(),
  restart: z.boolean().optional().openapi({ description: "start a new comparison window now" }),
}).openapi("CanaryChange");

export const BrowserImpression = z.object({
  visitorId: VisitorId.optional(),
  modelVersion: z.int().positive().max(2_147_483_647),
  movieIds: z.array(z.int().positive()).min(1).max(100).openapi({
    description: "the movies shown, in order (no history: it stays in the browser)",
  }),
}).openapi("BrowserImpression");

export const ImpressionCreated = z.object({ impressionId: z.string() }).openapi(
  "ImpressionCreated",
);
