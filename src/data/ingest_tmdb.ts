/** Ingests TMDB popular movies page by page, then optionally virtual users who watch them. */
import type { Database } from "../db/types.ts";
import type { Metrics } from "../observability/metrics.ts";
import { check, type MovieRecord, type TmdbMovie, tmdbMovie } from "./contract.ts";
import { addWrites, emptyCounts, type IngestReport, type TableCounts } from "./ingest_report.ts";
import { heartbeat, runIngest } from "./ingest_runs.ts";
import { insertRejected, type Rejection, upsertTmdbMovies } from "./rows.ts";
import { loadCatalog, writeVirtualUsers } from "./ingest_synthetic.ts";
import type { TmdbClient } from "./tmdb.ts";

/** Options of {@linkcode ingestTmdb}. */
export interface TmdbIngestOptions {
  /** Pages of /movie/popular (20 movies each), 1–500. */
  pages: number;
  language?: string;
  region?: string;
  /** Virtual users to generate over this run's movies (default 0: movies only). */
  users?: number;
  moviesPerUser?: number;
  seed?: number;
  /**
   * An idempotency key recorded with the run (a pipeline passes its run's key), so a re-run can
   * find this run with `findIngestRun` instead of ingesting again.
   */
  key?: string;
  /** Counts the records read in `reelrank_ingest_rows_total` when the ingest succeeds. */
  metrics?: Metrics;
}

/** Maps a validated TMDB result to a movie record; unknown genre ids are dropped. */
export function tmdbToMovie(m: TmdbMovie, genres: Map<number, string>): MovieRecord {
  const date = m.release_date || null;
  return {
    movielensId: null,
    tmdbId: m.id,
    imdbId: null,
    title: m.title,
    originalTitle: m.original_title ?? null,
    overview: m.overview || null,
    releaseDate: date,
    year: date ? Number(date.slice(0, 4)) : null,
    genres: (m.genre_ids ?? []).flatMap((g) => genres.get(g) ?? []),
    originalLanguage: m.original_language ?? null,
    posterPath: m.poster_path ?? null,
    backdropPath: m.backdrop_path ?? null,
    popularity: m.popularity ?? null,
    voteAverage: m.vote_average ?? null,
    voteCount: m.vote_count ?? null,
    adult: m.adult ?? null,
    runtime: m.runtime || null,
    source: "tmdb",
  };
}

/**
 * Fetches `pages` pages of popular movies; each page commits with its rejected records. A movie
 * seen on an earlier page (TMDB lists shift while paging) counts as a duplicate.
 */
export async function ingestTmdb(
  db: Database,
  client: TmdbClient,
  opts: TmdbIngestOptions,
): Promise<IngestReport> {
  const { metrics, ...params } = opts;
  return await runIngest(db, { source: "tmdb", params, metrics }, async (runId) => {
    const tables: Record<string, TableCounts> = { movies: emptyCounts() };
    const movies = tables.movies;
    const genres = await client.genres({ language: opts.language });
    const seen = new Set<number>();
    for await (
      const page of client.popularPages(opts.pages, {
        language: opts.language,
        region: opts.region,
      })
    ) {
      const batch: MovieRecord[] = [];
      const rejected: Rejection[] = [];
      page.results.forEach((raw, index) => {
        movies.read++;
        const r = check(tmdbMovie, raw);
        if (!r.ok) {
          movies.rejected++;
          rejected.push({
            raw: { page: page.page, index, record: raw },
            reason: `page ${page.page} result ${index}: ${r.reason}`,
          });
        } else if (seen.has(r.value.id)) movies.duplicates++;
        else {
          seen.add(r.value.id);
          batch.push(tmdbToMovie(r.value, genres));
        }
      });
      await db.transaction(async (tx) => {
        addWrites(movies, await upsertTmdbMovies(tx, batch, runId));
        await insertRejected(tx, "tmdb", rejected, runId);
        await heartbeat(tx, runId);
      });
    }
    if ((opts.users ?? 0) > 0) {
      const catalog = await loadCatalog(db, { tmdbIds: [...seen] });
      Object.assign(
        tables,
        await writeVirtualUsers(db, runId, {
          catalog,
          users: opts.users!,
          moviesPerUser: opts.moviesPerUser ?? 30,
          seed: opts.seed ?? 42,
        }),
      );
    }
    return tables;
  });
}
