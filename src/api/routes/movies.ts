/** /movies: title search with cursor paging, one movie, and movies similar to one (from the model). */
import { createRoute, z } from "@hono/zod-openapi";
import { getMovie, searchMovies } from "../../data/catalog_queries.ts";
import { notFound } from "../../errors.ts";
import { movieView } from "../../serving/catalog.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { Answer, errors, json, K, Movie, pathId } from "../schemas/common.ts";

const SearchQuery = z.object({
  query: z.string().max(200).optional().openapi({
    description: "part of the title (case-insensitive)",
    example: "star wars",
  }),
  genre: z.string().min(1).max(64).optional().openapi({ example: "Sci-Fi" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description: "nextCursor of the previous page",
  }),
});

const MoviePage = z.object({
  items: z.array(Movie),
  nextCursor: z.int().nullable().openapi({ description: "null on the last page" }),
}).openapi("MoviePage");

const Params = z.object({ id: pathId("id") });

const Similar = Answer.extend({ movieId: z.int() }).openapi("SimilarMovies");

/** The movies resource. */
export function moviesRoutes(deps: AppDeps) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/movies",
        tags: ["movies"],
        summary: "Search movies by title and genre, by ascending id",
        request: { query: SearchQuery },
        responses: { 200: json(MoviePage, "A page of movies"), ...errors(400) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = await searchMovies(deps.db, {
          query: q.query?.trim() || undefined,
          genre: q.genre,
          limit: q.limit,
          afterId: q.cursor,
        });
        return c.json({
          items: page.movies.map(movieView),
          nextCursor: page.more ? page.movies.at(-1)!.id : null,
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/movies/{id}",
        tags: ["movies"],
        summary: "One movie",
        request: { params: Params },
        responses: { 200: json(Movie, "The movie"), ...errors(400, 404) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const m = await getMovie(deps.db, id);
        if (!m) throw notFound(`movie ${id} does not exist`);
        return c.json(movieView(m), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/movies/{id}/similar",
        tags: ["movies"],
        summary: "Movies most often watched next after this one (item-to-item, from the model)",
        description: "Ranked from a history of this one movie, so there is no `explain`: every " +
          "item's `because` would be the movie itself.",
        request: { params: Params, query: z.object({ k: K }) },
        responses: { 200: json(Similar, "Similar movies"), ...errors(400, 404, 503) },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const { k } = c.req.valid("query");
        const answer = await deps.serving.recommendations.similar(id, { k });
        return c.json({ movieId: id, ...answer }, 200);
      },
    );
}
