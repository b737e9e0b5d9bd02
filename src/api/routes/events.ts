/**
 * POST /events: a watch or a rating, stored once per eventId (the user's next answers reflect it);
 * with `impressionId`, a click or a watch on a shown movie is also an outcome for online metrics.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { recordEvent } from "../../data/events.ts";
import { checkOutcome, storeOutcome } from "../../online/outcomes.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { errors, json, VisitorId } from "../schemas/common.ts";

const EventBody = z.object({
  eventId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, {
    message: "expected letters, digits, '.', '_', ':' or '-'",
  }).openapi({ example: "web-7f3a9c" }),
  userId: z.int().positive().optional().openapi({
    example: 1,
    description: "a stored user (required unless visitorId is given)",
  }),
  visitorId: VisitorId.optional().openapi({
    description: "an anonymous visitor instead of a user: only outcomes (click, watch with " +
      "impressionId) are recorded, never a history",
  }),
  movieId: z.int().positive().openapi({ example: 2571 }),
  type: z.enum(["watch", "rate", "click"]).openapi({
    description: "click is recorded only as an outcome of an impression (needs impressionId)",
  }),
  rating: z.number().min(0.5).max(5).multipleOf(0.5).optional().openapi({
    description: "stars 0.5–5 in halves; required for rate",
  }),
  watchSeconds: z.int().min(0).max(86_400 * 7).optional(),
  timestamp: z.int().min(0).max(32_503_680_000).optional().openapi({
    description: "seconds since the epoch; default: when received",
  }),
  impressionId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, {
    message: "expected the impressionId of a recommendation answer",
  }).optional().openapi({ description: "the answer the movie was shown in (click, watch)" }),
  position: z.int().min(1).max(100).optional().openapi({
    description: "1-based position of the movie in that answer (default: where it was shown)",
  }),
}).refine((e) => e.type !== "rate" || e.rating !== undefined, {
  message: "a rate event needs a rating",
  path: ["rating"],
}).refine((e) => (e.userId === undefined) !== (e.visitorId === undefined), {
  message: "give either userId or visitorId",
  path: ["userId"],
}).refine((e) => e.type !== "click" || e.impressionId !== undefined, {
  message: "a click event needs the impressionId of the answer that showed the movie",
  path: ["impressionId"],
}).refine((e) => e.userId !== undefined || (e.impressionId !== undefined && e.type !== "rate"), {
  message: "a visitor's event must be a click or a watch with an impressionId",
  path: ["visitorId"],
}).refine((e) => e.type !== "rate" || e.impressionId === undefined, {
  message: "only click and watch events are outcomes of an impression",
  path: ["impressionId"],
}).openapi("Event");

const Stored = z.object({
  eventId: z.string(),
  duplicate: z.boolean().openapi({ description: "true when this eventId was already stored" }),
  userId: z.int().nullable().openapi({ description: "null for a visitor's event" }),
  movieId: z.int(),
  timestamp: z.int(),
  impressionId: z.string().nullable(),
  position: z.int().nullable().openapi({ description: "where the impression showed the movie" }),
}).openapi("StoredEvent");

/** The events resource. */
export function eventsRoutes(deps: AppDeps) {
  return router().openapi(
    createRoute({
      method: "post",
      path: "/events",
      tags: ["events"],
      summary: "Record a watch, a rating or a click (idempotent by eventId)",
      description:
        "A user's watch or rating is stored in the interactions table (source `event`): their " +
        "next recommendations reflect it at once and the next training run learns from it. With " +
        "`impressionId`, a click or a watch also counts for the online metrics of the version " +
        "that showed the movie; a click or a visitor's event is recorded only as that.",
      request: {
        body: { required: true, content: { "application/json": { schema: EventBody } } },
      },
      responses: {
        200: json(Stored, "Already stored (same eventId, same event)"),
        201: json(Stored, "Stored"),
        ...errors(400, 404, 409, 413),
      },
    }),
    async (c) => {
      const e = c.req.valid("json");
      const now = deps.clock();
      const impressions = deps.serving.online.impressions;
      const outcome = e.impressionId === undefined ? undefined : {
        impressionId: e.impressionId,
        type: e.type as "click" | "watch",
        movieId: e.movieId,
        eventId: e.eventId,
      };
      // Checked before anything is stored, so a bad impression leaves no half-recorded event.
      const position = outcome
        ? await checkOutcome({ ...outcome, position: e.position }, { impressions })
        : null;
      let duplicate = false;
      let timestamp = Math.floor(e.timestamp ?? now.getTime() / 1000);
      if (e.userId !== undefined && e.type !== "click") {
        const stored = await recordEvent(deps.db, { ...e, userId: e.userId, type: e.type }, {
          now,
        });
        deps.metrics.events.inc({ outcome: stored.duplicate ? "duplicate" : "stored" });
        if (!stored.duplicate) deps.serving.recommendations.applyEvent(stored);
        duplicate = stored.duplicate;
        timestamp = stored.timestamp;
      }
      if (outcome && position !== null) {
        const o = await storeOutcome(deps.db, { ...outcome, position }, { now });
        deps.metrics.impressionOutcomes.inc({
          type: o.type,
          outcome: o.duplicate ? "duplicate" : "stored",
        });
        if (e.userId === undefined || e.type === "click") duplicate = o.duplicate;
      }
      const body = {
        eventId: e.eventId,
        duplicate,
        userId: e.userId ?? null,
        movieId: e.movieId,
        timestamp,
        impressionId: e.impressionId ?? null,
        position,
      };
      return duplicate ? c.json(body, 200) : c.json(body, 201);
    },
  );
}
