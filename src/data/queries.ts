/** Read side for training and serving: all interactions as compact columns, movies for display. */
import type { Sql } from "../db/types.ts";
import { corrupt } from "../errors.ts";

/** Every interaction as parallel columns, sorted by (user, ts, movie) — the evaluation order. */
export interface InteractionColumns {
  length: number;
  user: Int32Array;
  movie: Int32Array;
  /** Seconds since the epoch. */
  ts: Float64Array;
  /** Stars 0.5–5, NaN when the interaction has no rating. */
  rating: Float32Array;
}

/**
 * Loads all interactions in one query. Ids fit Int32Array: MovieLens ids are small and generated
 * ids start at 1e9, leaving room for over a billion more before 2^31.
 */
export async function loadInteractions(db: Sql): Promise<InteractionColumns> {
  // One row holding four arrays: far fewer JS objects than one row per interaction.
  const [row] = await db.query<
    { u: number[] | null; m: number[] | null; t: number[] | null; r: (number | null)[] | null }
  >(
    `SELECT array_agg(user_id ORDER BY user_id, ts, movie_id) AS u, array_agg(movie_id ORDER BY user_id, ts, movie_id) AS m,
       array_agg(ts ORDER BY user_id, ts, movie_id) AS t, array_agg(rating ORDER BY user_id, ts, movie_id) AS r
     FROM interactions`,
  );
  const n = row.u?.length ?? 0;
  const out: InteractionColumns = {
    length: n,
    user: new Int32Array(n),
    movie: new Int32Array(n),
    ts: new Float64Array(n),
    rating: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const u = Number(row.u![i]), m = Number(row.m![i]);
    if (u > 0x7fffffff || m > 0x7fffffff) {
      throw corrupt(`interaction ids must fit in 31 bits, got user ${u}, movie ${m}`);
    }
    out.user[i] = u;
    out.movie[i] = m;
    out.ts[i] = Number(row.t![i]);
    const r = row.r![i];
    out.rating[i] = r === null ? NaN : Number(r);
  }
  return out;
}

/** What the site and the API show for a movie. */
export interface MovieDisplay {
  id: number;
  title: string;
  year: number | null;
  genres: string[];
  posterPath: string | null;
  overview: string | null;
  tmdbId: number | null;
  voteAverage: number | null;
}

/** The columns a {@link MovieDisplay} is read from. */
export const MOVIE_COLUMNS =
  "id, title, year, genres, poster_path, overview, tmdb_id, vote_average";

/** A `movies` row (selected with {@link MOVIE_COLUMNS}) as a display record. */
export function toMovie(r: Record<string, unknown>): MovieDisplay {
  return {
    id: r.id as number,
    title: r.title as string,
    year: (r.year as number | null) ?? null,
    genres: (r.genres as string[]) ?? [],
    posterPath: (r.poster_path as string | null) ?? null,
    overview: (r.overview as string | null) ?? null,
    tmdbId: (r.tmdb_id as number | null) ?? null,
    voteAverage: (r.vote_average as number | null) ?? null,
  };
}

/** Movies by id, in the order asked; unknown ids are left out. */
export async function getMovies(db: Sql, ids: readonly number[]): Promise<MovieDisplay[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${MOVIE_COLUMNS} FROM movies WHERE id = ANY($1::int8[])`,
    [[...new Set(ids)]],
  );
  const byId = new Map(rows.map((r) => [r.id as number, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [toMovie(r)] : [];
  });
}

/** A user's watched movie ids in protocol order (timestamp, then movie id), oldest first. */
export async function getUserHistory(db: Sql, userId: number): Promise<number[]> {
  const rows = await db.query<{ movie_id: number }>(
    "SELECT movie_id FROM interactions WHERE user_id = $1 ORDER BY ts, movie_id",
    [userId],
  );
  return rows.map((r) => r.movie_id);
}

/** The id to publish for a movie: MovieLens id, else TMDB id, else reelrank's own. */
export async function rawMovieIds(db: Sql): Promise<Map<number, number>> {
  const rows = await db.query<{ id: number; raw: number }>(
    "SELECT id, COALESCE(movielens_id, tmdb_id, id) AS raw FROM movies",
  );
  return new Map(rows.map((r) => [r.id, r.raw]));
}

/** How many interactions are stored. */
export async function countInteractions(db: Sql): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM interactions");
  return n;
}

/** The lowest user ids that have interactions, ascending. */
export async function firstUserIds(db: Sql, options: { limit: number }): Promise<number[]> {
  const rows = await db.query<{ user_id: number }>(
    "SELECT DISTINCT user_id FROM interactions ORDER BY user_id LIMIT $1",
    [options.limit],
  );
  return rows.map((r) => r.user_id);
}

/** Id of the newest snapshot, if any. */
export async function latestSnapshotId(db: Sql): Promise<string | undefined> {
  const [row] = await db.query<{ id: string }>(
    "SELECT id FROM snapshots ORDER BY created_at DESC, id DESC LIMIT 1",
  );
  return row?.id;
}
