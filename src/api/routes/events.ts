/** POST /events: a watch or a rating, stored once per eventId; the user's next answers reflect it. */
import { createRoute, z } from "@hono/zod-openapi";
import { recordEvent } from "../../data/events.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { errors, json } from "../schemas/common.ts";

const EventBody = z.object({
  eventId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, {
    message: "expected letters, digits, '.', '_', ':' or '-'",
  }).openapi({ example: "web-7f3a9c" }),
  userId: z.int().positive().openapi({ example: 1 }),
  movieId: z.int().positive().openapi({ example: 2571 }),
  type: z.enum(["watch", "rate"]),
  rating: z.number().min(0.5).max(5).multipleOf(0.5).optional().openapi({
    description: "stars 0.5–5 in halves; required for rate",
  }),
  watchSeconds: z.int().min(0).max(86_400 * 7).optional(),
  timestamp: z.int().min(0).max(32_503_680_000).optional().openapi({
    description: "seconds since the epoch; default: when received",
  }),
}).refine((e) => e.type !== "rate" || e.rating !== undefined, {
  message: "a rate event needs a rating",
  path: ["rating"],
}).openapi("Event");

const Stored = z.object({
  eventId: z.string(),
  duplicate: z.boolean().openapi({ description: "true when this eventId was already stored" }),
  userId: z.int(),
  movieId: z.int(),
  timestamp: z.int(),
}).openapi("StoredEvent");

/** The events resource. */
export function eventsRoutes(deps: AppDeps) {
  return router().openapi(
    createRoute({
      method: "post",
      path: "/events",
      tags: ["events"],
      summary: "Record a watch or a rating (idempotent by eventId)",
      description:
        "Stored in the interactions table (source `event`): the user's next recommendations " +
        "reflect it at once and the next training run learns from it.",
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
      const stored = await recordEvent(deps.db, c.req.valid("json"), { now: deps.clock() });
      deps.metrics.events.inc({ outcome: stored.duplicate ? "duplicate" : "stored" });
      if (!stored.duplicate) deps.serving.recommendations.applyEvent(stored);
      const body = {
        eventId: stored.eventId,
        duplicate: stored.duplicate,
        userId: stored.userId,
        movieId: stored.movieId,
        timestamp: stored.timestamp,
      };
      return stored.duplicate ? c.json(body, 200) : c.json(body, 201);
    },
  );
}
