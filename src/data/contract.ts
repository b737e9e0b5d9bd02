/** The data contract: zod schemas for every record kind that enters the database, and their reasons. */
import { z } from "zod";

/** A movie row as stored in `movies` (camelCase; `id` is absent for TMDB-only movies until stored). */
export const movieRecord = z.object({
  id: z.number().int().positive().optional(),
  movielensId: z.number().int().positive().nullable(),
  tmdbId: z.number().int().positive().nullable(),
  imdbId: z.string().regex(/^tt\d+$/).nullable(),
  title: z.string().trim().min(1),
  originalTitle: z.string().nullable(),
  overview: z.string().nullable(),
  releaseDate: z.iso.date().nullable(),
  year: z.number().int().min(1870).max(2100).nullable(),
  genres: z.array(z.string().min(1)),
  originalLanguage: z.string().nullable(),
  posterPath: z.string().nullable(),
  backdropPath: z.string().nullable(),
  popularity: z.number().nonnegative().nullable(),
  voteAverage: z.number().min(0).max(10).nullable(),
  voteCount: z.number().int().nonnegative().nullable(),
  adult: z.boolean().nullable(),
  runtime: z.number().int().positive().nullable(),
  source: z.enum(["movielens", "tmdb"]),
});
export type MovieRecord = z.infer<typeof movieRecord>;

/** A user row: MovieLens users keep their id; virtual users get one from a sequence. */
export const userRecord = z.object({
  id: z.number().int().positive().optional(),
  source: z.enum(["movielens", "synthetic"]),
  externalId: z.string().min(1),
  profile: z.record(z.string(), z.unknown()).nullable(),
});
export type UserRecord = z.infer<typeof userRecord>;

/** One (user, movie) interaction: a rating, a watch, or both. */
export const interactionRecord = z.object({
  userId: z.number().int().positive(),
  movieId: z.number().int().positive(),
  ts: z.number().int().nonnegative(),
  rating: z.number().min(0.5).max(5).nullable(),
  watchSeconds: z.number().int().nonnegative().nullable(),
  source: z.enum(["movielens", "synthetic"]),
});
export type InteractionRecord = z.infer<typeof interactionRecord>;

const intText = z.string().trim().regex(/^\d+$/, "expected a whole number").transform(Number);
const positiveIntText = intText.refine(
  (n) => n > 0 && Number.isSafeInteger(n),
  "expected a positive integer",
);

/** A row of MovieLens `movies.csv`. */
export const movieLensMovieRow = z.object({
  movieId: positiveIntText,
  title: z.string().trim().min(1, "title is empty"),
  genres: z.string(),
});

/** A row of MovieLens `ratings.csv` (ratings are 0.5–5 stars, timestamps in seconds). */
export const movieLensRatingRow = z.object({
  userId: positiveIntText,
  movieId: positiveIntText,
  rating: z.string().trim().regex(/^\d+(\.\d+)?$/, "expected a number").transform(Number)
    .refine((r) => r >= 0.5 && r <= 5, "expected a rating between 0.5 and 5"),
  timestamp: intText,
});

/** A row of MovieLens `links.csv`; either external id may be blank. */
export const movieLensLinkRow = z.object({
  movieId: positiveIntText,
  imdbId: z.string().trim().regex(/^\d*$/, "expected digits or blank"),
  tmdbId: z.string().trim().regex(/^\d*$/, "expected digits or blank"),
});

/** One result of TMDB `/movie/popular`; only `id` and `title` are required. */
export const tmdbMovie = z.object({
  id: z.number().int().positive(),
  title: z.string().trim().min(1),
  original_title: z.string().nullish(),
  overview: z.string().nullish(),
  release_date: z.union([z.iso.date(), z.literal("")]).nullish(),
  genre_ids: z.array(z.number().int()).nullish(),
  original_language: z.string().nullish(),
  poster_path: z.string().nullish(),
  backdrop_path: z.string().nullish(),
  popularity: z.number().nonnegative().nullish(),
  vote_average: z.number().min(0).max(10).nullish(),
  vote_count: z.number().int().nonnegative().nullish(),
  adult: z.boolean().nullish(),
  runtime: z.number().int().nonnegative().nullish(),
});
export type TmdbMovie = z.infer<typeof tmdbMovie>;

/** The envelope of a TMDB paged response; results are validated one by one. */
export const tmdbPage = z.object({
  page: z.number().int().positive(),
  results: z.array(z.unknown()),
  total_pages: z.number().int().nonnegative(),
  total_results: z.number().int().nonnegative(),
});
export type TmdbPage = z.infer<typeof tmdbPage>;

/** TMDB `/genre/movie/list`. */
export const tmdbGenreList = z.object({
  genres: z.array(z.object({ id: z.number().int(), name: z.string().min(1) })),
});

/** The outcome of checking one raw record: a value, or the reason it was rejected. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Formats zod issues as `field: message; field: message` for rejected-row reasons. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join(".") : "record"}: ${i.message}`)
    .join("; ");
}

/** Validates `raw` against `schema`, returning the parsed value or a readable reason. */
export function check<S extends z.ZodType>(schema: S, raw: unknown): Checked<z.output<S>> {
  const r = schema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: formatIssues(r.error) };
}
