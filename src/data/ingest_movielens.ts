/** Ingests a MovieLens folder: links, movies, then users and ratings, in committed batches. */
import type { Database } from "../db/types.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { InteractionRecord, MovieRecord } from "./contract.ts";
import { addWrites, emptyCounts, type IngestReport, type TableCounts } from "./ingest_report.ts";
import { heartbeat, runIngest } from "./ingest_runs.ts";
import {
  checkMovieLensFolder,
  openMovieLensFolder,
  type ParsedRow,
  readMovieLensLinks,
  readMovieLensMovies,
  readMovieLensRatings,
} from "./movielens.ts";
import {
  insertRejected,
  type Rejection,
  upsertInteractions,
  upsertMovieLensMovies,
  upsertMovieLensUsers,
} from "./rows.ts";

const log = getLogger("data/ingest_movielens");

/** Options of {@linkcode ingestMovieLens}. */
export interface MovieLensIngestOptions {
  /** A folder with ratings.csv, movies.csv and optionally links.csv. */
  path: string;
  /** Ratings per committed batch (default 10,000). */
  batchSize?: number;
  /** Called after each committed batch with the counts so far (progress output, tests). */
  onBatch?: (table: "movies" | "interactions", counts: TableCounts) => void;
  /**
   * An idempotency key recorded with the run (a pipeline passes its run's key), so a re-run can
   * find this run with `findIngestRun` instead of ingesting again.
   */
  key?: string;
  /** Counts the records read in `reelrank_ingest_rows_total` when the ingest succeeds. */
  metrics?: Metrics;
}

function rejection(row: ParsedRow<unknown>, reason: string): Rejection {
  return {
    raw: { file: row.file, line: row.line, record: row.raw },
    reason: `${row.file} line ${row.line}: ${reason}`,
  };
}

/**
 * Imports a MovieLens folder, after a first read that refuses a malformed one whole (nothing
 * stored). Every batch commits in its own transaction together with its
 * rejected rows and the run's heartbeat, so a killed ingest leaves whole batches behind and a
 * re-run (upserts on movieId, userId and (userId, movieId)) completes it without duplicates.
 */
export async function ingestMovieLens(
  db: Database,
  opts: MovieLensIngestOptions,
): Promise<IngestReport> {
  const folder = await openMovieLensFolder(opts.path);
  // Refuses a malformed folder (encoding, size limits, columns) before anything is stored.
  await checkMovieLensFolder(folder);
  const batchSize = opts.batchSize ?? 10_000;
  const params = opts.key === undefined
    ? { path: folder.dir }
    : { path: folder.dir, key: opts.key };
  const run = { source: "movielens" as const, params, metrics: opts.metrics };
  const report = await runIngest(db, run, async (runId) => {
    const tables = {
      links: emptyCounts(),
      movies: emptyCounts(),
      users: emptyCounts(),
      interactions: emptyCounts(),
    };
    const { links, rejected: badLinks } = await readMovieLensLinks(folder);
    tables.links.read = links.size + badLinks.length;
    tables.links.accepted = links.size;
    tables.links.rejected = badLinks.length;
    let pendingRejects: Rejection[] = badLinks.map((r) =>
      rejection(r, r.result.ok ? "" : r.result.reason)
    );

    // Movies: keyed by movieId; a later duplicate line replaces the earlier one and is counted.
    let batch = new Map<number, MovieRecord>();
    const flushMovies = async () => {
      const rows = [...batch.values()];
      const rejects = pendingRejects;
      batch = new Map();
      pendingRejects = [];
      await db.transaction(async (tx) => {
        addWrites(tables.movies, await upsertMovieLensMovies(tx, rows, runId));
        await insertRejected(tx, "movielens", rejects, runId);
        await heartbeat(tx, runId);
      });
      opts.onBatch?.("movies", tables.movies);
    };
    for await (const row of readMovieLensMovies(folder, links)) {
      tables.movies.read++;
      if (!row.result.ok) {
        tables.movies.rejected++;
        pendingRejects.push(rejection(row, row.result.reason));
        continue;
      }
      if (batch.has(row.result.value.id!)) tables.movies.duplicates++;
      batch.set(row.result.value.id!, row.result.value);
      if (batch.size >= 2000) await flushMovies();
    }
    await flushMovies();
    log.info("movies stored", { ingest_run_id: runId, ...tables.movies });

    // Ratings: must name a stored movie; users are created as they first appear.
    const movieIds = new Set(
      (await db.query<{ id: number }>("SELECT id FROM movies")).map((r) => r.id),
    );
    const seenUsers = new Set<number>();
    let ratings = new Map<string, InteractionRecord>();
    const flushRatings = async () => {
      const rows = [...ratings.values()];
      const newUsers = [...new Set(rows.map((r) => r.userId))].filter((u) => !seenUsers.has(u));
      const rejects = pendingRejects;
      ratings = new Map();
      pendingRejects = [];
      await db.transaction(async (tx) => {
        addWrites(tables.users, await upsertMovieLensUsers(tx, newUsers, runId));
        addWrites(tables.interactions, await upsertInteractions(tx, rows, runId));
        await insertRejected(tx, "movielens", rejects, runId);
        await heartbeat(tx, runId);
      });
      for (const u of newUsers) seenUsers.add(u);
      opts.onBatch?.("interactions", tables.interactions);
    };
    for await (const row of readMovieLensRatings(folder)) {
      tables.interactions.read++;
      let reason = row.result.ok ? undefined : row.result.reason;
      if (row.result.ok && !movieIds.has(row.result.value.movieId)) {
        reason = `movieId ${row.result.value.movieId} is not in movies.csv`;
      }
      if (reason !== undefined || !row.result.ok) {
        tables.interactions.rejected++;
        pendingRejects.push(rejection(row, reason!));
        continue;
      }
      const key = `${row.result.value.userId}:${row.result.value.movieId}`;
      if (ratings.has(key)) tables.interactions.duplicates++;
      ratings.set(key, row.result.value);
      if (ratings.size >= batchSize) await flushRatings();
    }
    await flushRatings();
    tables.users.read = seenUsers.size;
    return tables;
  });
  log.info("movielens ingest finished", { ingest_run_id: report.runId, seconds: report.seconds });
  return report;
}
