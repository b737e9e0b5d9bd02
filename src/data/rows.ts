/** Set-based upserts of movies, users, interactions and rejected rows, counting inserted/updated/unchanged. */
import type { Sql } from "../db/types.ts";
import type { InteractionRecord, MovieRecord } from "./contract.ts";

/** What one upsert did: rows not inserted or updated were already identical. */
export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

const MOVIE_COLUMNS =
  `id bigint, movielens_id int, tmdb_id int, imdb_id text, title text, original_title text,
  overview text, release_date date, year int, genres text[], original_language text, poster_path text,
  backdrop_path text, popularity float8, vote_average float8, vote_count int, adult bool, runtime int`;

// `(xmax = 0)` is true for a row the INSERT created and false for one ON CONFLICT updated;
// rows the WHERE clause left alone are not returned at all.
const COUNT = `SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
  count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

function movieJson(movies: readonly MovieRecord[]): string {
  return JSON.stringify(movies.map((m) => ({
    id: m.id ?? null,
    movielens_id: m.movielensId,
    tmdb_id: m.tmdbId,
    imdb_id: m.imdbId,
    title: m.title,
    original_title: m.originalTitle,
    overview: m.overview,
    release_date: m.releaseDate,
    year: m.year,
    genres: m.genres,
    original_language: m.originalLanguage,
    poster_path: m.posterPath,
    backdrop_path: m.backdropPath,
    popularity: m.popularity,
    vote_average: m.voteAverage,
    vote_count: m.voteCount,
    adult: m.adult,
    runtime: m.runtime,
  })));
}

async function counted(
  sql: Sql,
  text: string,
  params: unknown[],
  total: number,
): Promise<WriteCounts> {
  const [r] = await sql.query<{ inserted: number; updated: number }>(text, params);
  return { inserted: r.inserted, updated: r.updated, unchanged: total - r.inserted - r.updated };
}

/**
 * Upserts MovieLens movies by id (= movieId). MovieLens owns movielens_id, imdb_id, year and genres;
 * the title only until TMDB has enriched the row (original_title is set by TMDB alone). A TMDB-only
 * movie whose tmdb_id MovieLens now links is re-keyed to the movieId first (its watches follow).
 */
export async function upsertMovieLensMovies(
  sql: Sql,
  movies: readonly MovieRecord[],
  runId: number,
): Promise<WriteCounts> {
  if (movies.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const json = movieJson(movies);
  const rekeyed = await sql.query<{ old_id: number; new_id: number }>(
    `WITH k AS (
       SELECT m.id AS old_id, x.id AS new_id FROM movies m
       JOIN jsonb_to_recordset($1::jsonb) AS x(id bigint, tmdb_id int) ON m.tmdb_id = x.tmdb_id
       WHERE m.movielens_id IS NULL AND m.id <> x.id AND NOT EXISTS (SELECT 1 FROM movies e WHERE e.id = x.id))
     UPDATE movies m SET id = k.new_id, movielens_id = k.new_id FROM k WHERE m.id = k.old_id
     RETURNING k.old_id, k.new_id`,
    [json],
  );
  if (rekeyed.length) {
    // interactions has no foreign key (see 0001_data.sql), so its rows follow the movie here.
    await sql.query(
      `UPDATE interactions i SET movie_id = k.new_id
       FROM unnest($1::int8[], $2::int8[]) AS k(old_id, new_id) WHERE i.movie_id = k.old_id`,
      [rekeyed.map((r) => r.old_id), rekeyed.map((r) => r.new_id)],
    );
  }
  return await counted(
    sql,
    `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${MOVIE_COLUMNS})),
     up AS (
       INSERT INTO movies AS m (id, movielens_id, tmdb_id, imdb_id, title, year, genres, source, ingest_run_id)
       SELECT x.id, x.movielens_id,
         -- a tmdb id another movie already holds cannot be stored twice (tmdb_id is unique)
         CASE WHEN EXISTS (SELECT 1 FROM movies e WHERE e.tmdb_id = x.tmdb_id AND e.id <> x.id) THEN NULL ELSE x.tmdb_id END,
         x.imdb_id, x.title, x.year, x.genres, 'movielens', $2
       FROM x
       ON CONFLICT (id) DO UPDATE SET movielens_id = excluded.movielens_id,
         tmdb_id = coalesce(excluded.tmdb_id, m.tmdb_id), imdb_id = excluded.imdb_id,
         title = CASE WHEN m.original_title IS NULL THEN excluded.title ELSE m.title END,
         year = excluded.year, genres = excluded.genres, ingest_run_id = excluded.ingest_run_id, updated_at = now()
       WHERE (m.movielens_id, m.imdb_id, m.year, m.genres) IS DISTINCT FROM
             (excluded.movielens_id, excluded.imdb_id, excluded.year, excluded.genres)
          OR (excluded.tmdb_id IS NOT NULL AND m.tmdb_id IS DISTINCT FROM excluded.tmdb_id)
          OR (m.original_title IS NULL AND m.title IS DISTINCT FROM excluded.title)
       RETURNING (xmax = 0) AS inserted)
     ${COUNT}`,
    [json, runId],
    movies.length,
  );
}

/**
 * Upserts TMDB movies by tmdb_id: a movie MovieLens already stored (via links.csv) is enriched in
 * place (keeping its MovieLens genres); a new one gets an id from 1e9 up.
 */
export async function upsertTmdbMovies(
  sql: Sql,
  movies: readonly MovieRecord[],
  runId: number,
): Promise<WriteCounts> {
  if (movies.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const tmdbColumns = [
    "title",
    "original_title",
    "overview",
    "release_date",
    "original_language",
    "poster_path",
    "backdrop_path",
    "popularity",
    "vote_average",
    "vote_count",
    "adult",
  ];
  const set = tmdbColumns.map((c) => `${c} = excluded.${c}`).join(", ");
  const old = tmdbColumns.map((c) => `m.${c}`).join(", ");
  const neu = tmdbColumns.map((c) => `excluded.${c}`).join(", ");
  return await counted(
    sql,
    `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${MOVIE_COLUMNS})),
     up AS (
       INSERT INTO movies AS m (id, tmdb_id, ${
      tmdbColumns.join(", ")
    }, year, genres, runtime, source, ingest_run_id)
       SELECT nextval('movie_tmdb_only_id_seq'), x.tmdb_id, ${
      tmdbColumns.map((c) => `x.${c}`).join(", ")
    },
         x.year, x.genres, x.runtime, 'tmdb', $2
       FROM x
       ON CONFLICT (tmdb_id) DO UPDATE SET ${set},
         year = coalesce(excluded.year, m.year), runtime = coalesce(excluded.runtime, m.runtime),
         genres = CASE WHEN m.movielens_id IS NULL THEN excluded.genres ELSE m.genres END,
         ingest_run_id = excluded.ingest_run_id, updated_at = now()
       WHERE (${old}) IS DISTINCT FROM (${neu})
          OR (m.movielens_id IS NULL AND m.genres IS DISTINCT FROM excluded.genres)
          OR (excluded.runtime IS NOT NULL AND m.runtime IS DISTINCT FROM excluded.runtime)
       RETURNING (xmax = 0) AS inserted)
     ${COUNT}`,
    [movieJson(movies), runId],
    movies.length,
  );
}

/** Inserts MovieLens users by id (external_id is the same number); existing ones are unchanged. */
export async function upsertMovieLensUsers(
  sql: Sql,
  ids: readonly number[],
  runId: number,
): Promise<WriteCounts> {
  if (ids.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const rows = await sql.query(
    `INSERT INTO users (id, source, external_id, ingest_run_id)
     SELECT id, 'movielens', id::text, $2 FROM unnest($1::int8[]) AS id
     ON CONFLICT DO NOTHING RETURNING id`,
    [ids, runId],
  );
  return { inserted: rows.length, updated: 0, unchanged: ids.length - rows.length };
}

/**
 * Upserts virtual users by (source 'synthetic', external_id) and returns their ids: new users are
 * numbered from 1e9 up, existing ones keep their id.
 */
export async function upsertVirtualUsers(
  sql: Sql,
  users: readonly { externalId: string; profile: unknown }[],
  runId: number,
): Promise<{ counts: WriteCounts; ids: Map<string, number> }> {
  if (users.length === 0) {
    return { counts: { inserted: 0, updated: 0, unchanged: 0 }, ids: new Map() };
  }
  const json = JSON.stringify(
    users.map((u) => ({ external_id: u.externalId, profile: u.profile })),
  );
  const counts = await counted(
    sql,
    `WITH up AS (
       INSERT INTO users AS u (id, source, external_id, profile, ingest_run_id)
       SELECT nextval('virtual_user_id_seq'), 'synthetic', x.external_id, x.profile, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(external_id text, profile jsonb)
       ON CONFLICT (source, external_id) DO UPDATE SET profile = excluded.profile, ingest_run_id = excluded.ingest_run_id
       WHERE u.profile IS DISTINCT FROM excluded.profile
       RETURNING (xmax = 0) AS inserted)
     ${COUNT}`,
    [json, runId],
    users.length,
  );
  const rows = await sql.query<{ id: number; external_id: string }>(
    "SELECT id, external_id FROM users WHERE source = 'synthetic' AND external_id = ANY($1::text[])",
    [users.map((u) => u.externalId)],
  );
  return { counts, ids: new Map(rows.map((r) => [r.external_id, r.id])) };
}

/** Upserts interactions by (user, movie); identical rows are left alone and counted unchanged. */
export async function upsertInteractions(
  sql: Sql,
  rows: readonly InteractionRecord[],
  runId: number,
): Promise<WriteCounts> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  return await counted(
    sql,
    `WITH up AS (
       INSERT INTO interactions AS i (user_id, movie_id, ts, rating, watch_seconds, source, ingest_run_id)
       SELECT u, m, t, r, w, s, $7 FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::real[], $5::int4[], $6::text[])
         AS x(u, m, t, r, w, s)
       ON CONFLICT (user_id, movie_id) DO UPDATE SET ts = excluded.ts, rating = excluded.rating,
         watch_seconds = excluded.watch_seconds, source = excluded.source, ingest_run_id = excluded.ingest_run_id
       WHERE (i.ts, i.rating, i.watch_seconds, i.source) IS DISTINCT FROM
             (excluded.ts, excluded.rating, excluded.watch_seconds, excluded.source)
       RETURNING (xmax = 0) AS inserted)
     ${COUNT}`,
    [
      rows.map((r) => r.userId),
      rows.map((r) => r.movieId),
      rows.map((r) => r.ts),
      rows.map((r) => r.rating),
      rows.map((r) => r.watchSeconds),
      rows.map((r) => r.source),
      runId,
    ],
    rows.length,
  );
}

/** A record that failed the data contract. */
export interface Rejection {
  raw: unknown;
  reason: string;
}

/** Stores rejected records once each (by fingerprint); a re-run points them at the new run. */
export async function insertRejected(
  sql: Sql,
  source: string,
  rejected: readonly Rejection[],
  runId: number,
): Promise<void> {
  if (rejected.length === 0) return;
  await sql.query(
    `INSERT INTO rejected_rows AS r (source, raw, reason, fingerprint, ingest_run_id)
     SELECT DISTINCT ON (md5($1 || ':' || x.raw::text)) $1, x.raw, x.reason, md5($1 || ':' || x.raw::text), $3
     FROM jsonb_to_recordset($2::jsonb) AS x(raw jsonb, reason text)
     ON CONFLICT (source, fingerprint) DO UPDATE SET reason = excluded.reason, ingest_run_id = excluded.ingest_run_id`,
    [source, JSON.stringify(rejected), runId],
  );
}
