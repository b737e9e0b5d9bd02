/** Shared request and response schemas: errors, ids, movies, recommendation answers. */
import { z } from "@hono/zod-openapi";

/** One problem with one input field. */
export const FieldProblem = z.object({
  field: z.string().openapi({ example: "k" }),
  in: z.enum(["path", "query", "body", "header"]).openapi({ example: "query" }),
  problem: z.string().openapi({ example: "Too big: expected number to be <=100" }),
}).openapi("FieldProblem");

/** Every error answer. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().openapi({ example: "INVALID_PARAMETER" }),
    message: z.string(),
    fields: z.array(FieldProblem).optional(),
  }),
  requestId: z.string().openapi({ example: "5f0c2a9e-…" }),
}).openapi("Error");

/** A positive integer id in the path (`{id}`, `{version}`). */
export function pathId(name: string, example = 1) {
  return z.coerce.number().int().positive().openapi({
    param: { name, in: "path", required: true },
    type: "integer",
    example,
  });
}

/** `k` in a query: how many movies, 1..100. */
export const K = z.coerce.number().int().min(1).max(100).default(10);

/** Comma-separated movie ids in a query (`exclude=1,2,3`). */
export const IdList = z.string().regex(/^\d{1,15}(,\d{1,15}){0,999}$/, {
  message: "expected comma-separated movie ids, e.g. 1,2,3",
}).transform((s) => s.split(",").map(Number));

/** A movie as every answer shows it. */
export const Movie = z.object({
  id: z.int().openapi({ example: 1 }),
  title: z.string().openapi({ example: "Toy Story (1995)" }),
  year: z.int().nullable().openapi({ example: 1995 }),
  genres: z.array(z.string()).openapi({ example: ["Animation", "Children"] }),
  overview: z.string().nullable(),
  posterUrl: z.string().nullable().openapi({
    description: "TMDB image URL (w342) when a poster path is known",
    example: "https://image.tmdb.org/t/p/w342/uXDfjJbdP4ijW5hWSBrPrlKpxab.jpg",
  }),
}).openapi("Movie");

/** A history movie behind a recommendation, with its leave-one-out contribution. */
export const Because = z.object({
  id: z.int().openapi({ example: 260 }),
  title: z.string().openapi({ example: "Star Wars: Episode IV - A New Hope (1977)" }),
  contribution: z.number().positive().openapi({
    description: "how much the movie's score (a logit) drops when this movie is left out of " +
      "the history; only positive drops are listed",
    example: 0.84,
  }),
}).openapi("Because");

/** A recommended movie with its score (a model logit, or a watch count for popularity). */
export const Item = Movie.extend({
  score: z.number(),
  because: z.array(Because).max(3).optional().openapi({
    description: "with explain: up to 3 movies of the history that raised this score most, " +
      "largest first (empty for popularity answers); never the movie itself",
  }),
}).openapi("RecommendedMovie");

/** `explain` in a query: `true` adds `because` to every item (off by default: it costs more). */
export const Explain = z.enum(["true", "false"]).default("false").transform((v) => v === "true")
  .openapi({
    type: "boolean",
    description: "add `because` to every item: the history movies that drove it (costs more)",
  });

/** Fields of every recommendation answer. */
export const Answer = z.object({
  strategy: z.enum(["model", "popularity"]).openapi({
    description: "model: ranked by the model; popularity: most watched (unknown users, no model)",
  }),
  modelVersion: z.int().nullable().openapi({ description: "the version that ranked the items" }),
  arm: z.enum(["production", "staging"]).openapi({
    description: "production, or staging for a user or visitor in the canary",
  }),
  impressionId: z.string().openapi({
    description: "this answer as shown: send it with click and watch events on its movies",
    example: "imp-3f2a…",
  }),
  items: z.array(Item),
});

/** An anonymous visitor's id (kept by the client), for the canary split and online metrics. */
export const VisitorId = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/, {
  message: "expected 8 to 64 letters, digits, '_' or '-'",
});

/** Standard error answers by status, for route definitions. */
export function errors(...statuses: (400 | 401 | 404 | 409 | 413 | 503)[]) {
  const text: Record<number, string> = {
    400: "Bad input: the body names the field and the problem",
    401: "Missing or wrong admin token",
    404: "Not found",
    409: "Conflicts with stored state",
    413: "Body over the size limit",
    503: "Not ready (no model, or the database is down)",
  };
  return Object.fromEntries(statuses.map((s) => [s, {
    description: text[s],
    content: { "application/json": { schema: ErrorBody } },
  }])) as Record<
    number,
    { description: string; content: { "application/json": { schema: typeof ErrorBody } } }
  >;
}

/** A JSON response entry for route definitions. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
