/** /users/{id}: a stored user's history summary and personalised recommendations. */
import { createRoute, z } from "@hono/zod-openapi";
import { getUserSummary } from "../../data/catalog_queries.ts";
import { notFound } from "../../errors.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { Answer, errors, Explain, IdList, json, K, Movie, pathId } from "../schemas/common.ts";

const Params = z.object({ id: pathId("id") });

const RecsQuery = z.object({
  k: K,
  genre: z.string().min(1).max(64).optional().openapi({ example: "Comedy" }),
  exclude: IdList.optional().openapi({ type: "string", example: "1,2,3" }),
  explain: Explain,
});

const UserRecommendations = Answer.extend({ userId: z.int() }).openapi("UserRecommendations");

const UserSummary = z.object({
  id: z.int(),
  source: z.string().nullable().openapi({ description: "movielens, synthetic or event" }),
  interactions: z.int(),
  rated: z.int(),
  meanRating: z.number().nullable(),
  firstAt: z.string().nullable().openapi({ format: "date-time" }),
  lastAt: z.string().nullable().openapi({ format: "date-time" }),
  recent: z.array(Movie).openapi({ description: "the latest movies watched, newest first" }),
}).openapi("UserSummary");

/** The users resource. */
export function usersRoutes(deps: AppDeps) {
  // Cached answers share their items array: its JSON is computed once per answer, not per request.
  const bodies = new WeakMap<object, string>();
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/users/{id}/recommendations",
        tags: ["recommendations"],
        summary: "Personalised top-k for a user (watched movies excluded)",
        description:
          "Ranked by the production model from the user's history; unknown users get the most " +
          "watched movies, marked `strategy: popularity`. Cached per user until their next event " +
          "or the next model switch (explained answers separately). `explain=true` adds `because` to " +
          "every item: the history movies whose removal lowers its score most.",
        request: { params: Params, query: RecsQuery },
        responses: { 200: json(UserRecommendations, "The recommendations"), ...errors(400) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const q = c.req.valid("query");
        const answer = await deps.serving.recommendations.forUser(id, q);
        let items = bodies.get(answer.items);
        if (items === undefined) {
          items = JSON.stringify(answer.items);
          bodies.set(answer.items, items);
        }
        const { items: _, ...head } = answer;
        const body = JSON.stringify({ userId: id, ...head }).slice(0, -1) + `,"items":${items}}`;
        c.header("Content-Type", "application/json");
        return c.body(body, 200) as unknown as ReturnType<
          typeof c.json<z.infer<typeof UserRecommendations>, 200>
        >;
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/users/{id}",
        tags: ["users"],
        summary: "A user's history in numbers, with their latest movies",
        request: { params: Params },
        responses: { 200: json(UserSummary, "The summary"), ...errors(400, 404) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const s = await getUserSummary(deps.db, id, { recent: 10 });
        if (!s) throw notFound(`user ${id} is not known (no stored user, no interactions)`);
        const catalog = deps.serving.catalog();
        return c.json({
          id: s.id,
          source: s.source,
          interactions: s.interactions,
          rated: s.rated,
          meanRating: s.meanRating,
          firstAt: s.firstAt?.toISOString() ?? null,
          lastAt: s.lastAt?.toISOString() ?? null,
          recent: s.recentMovieIds.flatMap((m) => catalog.get(m) ?? []),
        }, 200);
      },
    );
}
