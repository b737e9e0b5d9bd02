/** Read side for the API: every movie for the serving catalogue, title search with keyset paging, a user's summary. */
import type { Sql } from "../db/types.ts";
import { MOVIE_COLUMNS, type MovieDisplay, toMovie } from "./queries.ts";

/** Every stored movie, by id. */
export async function loadAllMovies(db: Sql): Promise<MovieDisplay[]> {
  const rows = await db.query(`SELECT ${MOVIE_COLUMNS} FROM movies ORDER BY id`);
  return rows.map(toMovie);
}

/** One movie, or null. */
export async function getMovie(db: Sql, id: number): Promise<MovieDisplay | null> {
  const [row] = await db.query(`SELECT ${MOVIE_COLUMNS} FROM movies WHERE id = $1`, [id]);
  return row ? toMovie(row) : null;
}

/** Escapes LIKE wildcards so a query is matched literally. */
function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
}

/**
 * Movies whose title contains `query` (case-insensitive) and that have `genre`, by ascending id,
 * after the id `afterId`. Returns at most `limit` movies and whether more follow.
 */
export async function searchMovies(
  db: Sql,
  options: { query?: string; genre?: string; limit: number; afterId?: number },
): Promise<{ movies: MovieDisplay[]; more: boolean }> {
  const rows = await db.query(
    `SELECT ${MOVIE_COLUMNS} FROM movies
     WHERE ($1::text IS NULL OR title ILIKE $1) AND ($2::text IS NULL OR $2 = ANY (genres))
       AND id > $3 ORDER BY id LIMIT $4`,
    [
      options.query ? likePattern(options.query) : null,
      options.genre ?? null,
      options.afterId ?? -1,
      options.limit + 1,
    ],
  );
  return { movies: rows.slice(0, options.limit).map(toMovie), more: rows.length > options.limit };
}

/** A user's history in numbers, with their most recent movie ids (newest first). */
export interface UserSummary {
  id: number;
  source: string | null;
  interactions: number;
  rated: number;
  meanRating: number | null;
  firstAt: Date | null;
  lastAt: Date | null;
  recentMovieIds: number[];
}

/** The summary of `userId`, or null when the user is neither stored nor has interactions. */
export async function getUserSummary(
  db: Sql,
  userId: number,
  options: { recent: number },
): Promise<UserSummary | null> {
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT (SELECT source FROM users WHERE id = $1) AS source,
       count(*)::int8 AS n, count(rating)::int8 AS rated, avg(rating)::float8 AS mean,
       min(ts) AS first_ts, max(ts) AS last_ts,
       (SELECT array_agg(movie_id) FROM (SELECT movie_id FROM interactions WHERE user_id = $1
          ORDER BY ts DESC, movie_id DESC LIMIT $2) r) AS recent
     FROM interactions WHERE user_id = $1`,
    [userId, options.recent],
  );
  const n = row.n as number;
  if (n === 0 && row.source === null) return null;
  const date = (v: unknown) => (v === null ? null : new Date(Number(v) * 1000));
  return {
    id: userId,
    source: (row.source as string | null) ?? null,
    interactions: n,
    rated: row.rated as number,
    meanRating: (row.mean as number | null) ?? null,
    firstAt: date(row.first_ts),
    lastAt: date(row.last_ts),
    recentMovieIds: ((row.recent as number[] | null) ?? []).map(Number),
  };
}

/** The interactions of one user in protocol order (timestamp, then movie id). */
export async function getUserEntries(
  db: Sql,
  userId: number,
): Promise<{ movie: number; ts: number }[]> {
  const rows = await db.query<{ movie_id: number; ts: number }>(
    "SELECT movie_id, ts FROM interactions WHERE user_id = $1 ORDER BY ts, movie_id",
    [userId],
  );
  return rows.map((r) => ({ movie: r.movie_id, ts: r.ts }));
}

/** True when the database answers (the readiness probe). */
export async function ping(db: Sql): Promise<void> {
  await db.query("SELECT 1");
}
