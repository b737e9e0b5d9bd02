/** /recommendations: a visitor's history ranked on the spot, and the newest batch for every user. */
import { createRoute, z } from "@hono/zod-openapi";
import { unavailable } from "../../errors.ts";
import { latestBatch } from "../../serving/batch.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { invalid } from "../../errors.ts";
import { Answer, errors, Explain, Item, json, K, VisitorId } from "../schemas/common.ts";

const MovieId = z.int().positive();

const VisitorBody = z.object({
  history: z.array(MovieId).max(1000).openapi({
    description: "movie ids, oldest first (at most 1,000)",
    example: [1, 260, 1196],
  }),
  k: z.int().min(1).max(100).default(10),
  genre: z.string().min(1).max(64).optional(),
  exclude: z.array(MovieId).max(1000).optional(),
  explain: z.boolean().default(false).openapi({
    description: "add `because` to every item: the history movies that drove it (costs more)",
  }),
  visitorId: VisitorId.optional().openapi({
    description: "the visitor's own random id: keeps them in one canary arm; recorded with the " +
      "impression (no history is stored)",
    example: "v-6c1d0e9a2b7f",
  }),
}).openapi("VisitorRequest");

const VisitorAnswer = Answer.extend({
  unknownIds: z.array(z.int()).openapi({
    description: "history ids the ranking does not know (ignored)",
  }),
}).openapi("VisitorRecommendations");

const LatestQuery = z.object({
  k: K,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description: "nextCursor of the previous page",
  }),
  explain: Explain,
});

/** Most users a page explains: each user's history is scored again once per history movie. */
export const EXPLAIN_PAGE_LIMIT = 50;

const Latest = z.object({
  modelVersion: z.int(),
  createdAt: z.string().openapi({ format: "date-time" }),
  users: z.array(z.object({ userId: z.int(), items: z.array(Item) })),
  nextCursor: z.int().nullable(),
}).openapi("LatestBatchRecommendations");

/** The recommendations resource. */
export function recommendationsRoutes(deps: AppDeps) {
  return router()
    .openapi(
      createRoute({
        method: "post",
        path: "/recommendations",
        tags: ["recommendations"],
        summary: "Top-k for a visitor's history (no account)",
        description:
          "Always runs the model (no cache); unknown movie ids are reported, not an error.",
        request: {
          body: { required: true, content: { "application/json": { schema: VisitorBody } } },
        },
        responses: { 200: json(VisitorAnswer, "The recommendations"), ...errors(400, 413) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const answer = await deps.serving.recommendations.forHistory(b.history, b);
        if (b.explain) return c.json(answer, 200);
        // The hot route: the items' JSON from the catalogue's per-movie JSON (same text as c.json).
        const { items, ...head } = answer;
        const catalog = deps.serving.catalog();
        const body = JSON.stringify(head).slice(0, -1) +
          `,"items":[${
            items.map((i) => catalog.itemJson(i.id, i.score) ?? JSON.stringify(i)).join(",")
          }]}`;
        c.header("Content-Type", "application/json");
        return c.body(body, 200) as unknown as ReturnType<
          typeof c.json<z.infer<typeof VisitorAnswer>, 200>
        >;
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/recommendations/latest",
        tags: ["recommendations"],
        summary: "The newest batch recommendations, a page of users at a time",
        description: "`explain=true` adds `because` to every item: the movies of the user's " +
          "history now whose removal lowers its score most, by the model that wrote the batch " +
          `(409 when the server serves another version); at most ${EXPLAIN_PAGE_LIMIT} users a page.`,
        request: { query: LatestQuery },
        responses: {
          200: json(Latest, "One page of the newest batch"),
          ...errors(400, 409, 503),
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        if (q.explain && q.limit > EXPLAIN_PAGE_LIMIT) {
          throw invalid(
            `limit must be at most ${EXPLAIN_PAGE_LIMIT} with explain=true (each user's history ` +
              `is scored again per movie), got ${q.limit}`,
          );
        }
        const batch = await latestBatch(deps.db, { k: q.k, limit: q.limit, afterUser: q.cursor });
        if (!batch) throw unavailable("no batch recommendations have been written yet");
        const catalog = deps.serving.catalog();
        const why = q.explain
          ? await deps.serving.recommendations.explainStored(
            batch.version,
            batch.users.map((u) => ({ userId: u.userId, movieIds: u.items.map((s) => s.movieId) })),
          )
          : null;
        const users = batch.users.map((u, i) => ({
          userId: u.userId,
          items: u.items.flatMap((s, j) => {
            const m = catalog.get(s.movieId);
            if (!m) return [];
            return [why ? { ...m, score: s.score, because: why[i][j] } : { ...m, score: s.score }];
          }),
        }));
        return c.json({
          modelVersion: batch.version,
          createdAt: batch.createdAt.toISOString(),
          users,
          nextCursor: batch.more ? users.at(-1)!.userId : null,
        }, 200);
      },
    );
}
