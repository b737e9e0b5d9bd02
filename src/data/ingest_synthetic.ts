/** Virtual users' watch logs written to the database: over TMDB movies of a run, or every stored movie. */
import type { Database } from "../db/types.ts";
import { invalid } from "../errors.ts";
import type { Metrics } from "../observability/metrics.ts";
import { check, type InteractionRecord, interactionRecord } from "./contract.ts";
import { addWrites, emptyCounts, type IngestReport, type TableCounts } from "./ingest_report.ts";
import { heartbeat, runIngest } from "./ingest_runs.ts";
import { insertRejected, type Rejection, upsertInteractions, upsertVirtualUsers } from "./rows.ts";
import {
  type CatalogMovie,
  generateVirtualUsers,
  type VirtualUsersOptions,
} from "./virtual_users.ts";

/** Loads the catalogue: stored movies, with popularity from TMDB or, failing that, watch counts. */
export async function loadCatalog(
  db: Database,
  opts: { tmdbIds?: number[] } = {},
): Promise<CatalogMovie[]> {
  const rows = await db.query<
    {
      id: number;
      genres: string[];
      popularity: number;
      vote_average: number | null;
      runtime: number | null;
    }
  >(
    `SELECT m.id, m.genres, coalesce(m.popularity, c.n, 0)::float8 AS popularity, m.vote_average, m.runtime
     FROM movies m LEFT JOIN (SELECT movie_id, count(*)::float8 AS n FROM interactions GROUP BY movie_id) c
       ON c.movie_id = m.id
     ${opts.tmdbIds ? "WHERE m.tmdb_id = ANY($1::int8[])" : ""} ORDER BY m.id`,
    opts.tmdbIds ? [opts.tmdbIds] : [],
  );
  return rows.map((r) => ({
    id: r.id,
    genres: r.genres,
    popularity: r.popularity,
    voteAverage: r.vote_average,
    runtime: r.runtime,
  }));
}

/**
 * Generates virtual users over `catalog` and upserts them and their interactions, 200 users per
 * committed batch. Same seed → same external ids and rows → a re-run changes nothing.
 */
export async function writeVirtualUsers(
  db: Database,
  runId: number,
  opts: VirtualUsersOptions & { catalog: CatalogMovie[] },
): Promise<{ users: TableCounts; interactions: TableCounts }> {
  const users = emptyCounts(), interactions = emptyCounts();
  let batch: ReturnType<typeof generateVirtualUsers> extends Generator<infer U> ? U[] : never = [];
  const flush = async () => {
    const chunk = batch;
    batch = [];
    if (chunk.length === 0) return;
    await db.transaction(async (tx) => {
      const { counts, ids } = await upsertVirtualUsers(tx, chunk, runId);
      addWrites(users, counts);
      const rows: InteractionRecord[] = [];
      const rejected: Rejection[] = [];
      for (const u of chunk) {
        for (const i of u.interactions) {
          interactions.read++;
          const r = check(interactionRecord, {
            userId: ids.get(u.externalId),
            ...i,
            source: "synthetic",
          });
          if (r.ok) rows.push(r.value);
          else {
            interactions.rejected++;
            rejected.push({ raw: { externalId: u.externalId, ...i }, reason: r.reason });
          }
        }
      }
      addWrites(interactions, await upsertInteractions(tx, rows, runId));
      await insertRejected(tx, "synthetic", rejected, runId);
      await heartbeat(tx, runId);
    });
  };
  for (const u of generateVirtualUsers(opts.catalog, opts)) {
    users.read++;
    batch.push(u);
    if (batch.length >= 200) await flush();
  }
  await flush();
  return { users, interactions };
}

/** Options of {@linkcode ingestSynthetic}. */
export interface SyntheticIngestOptions {
  users: number;
  moviesPerUser: number;
  seed: number;
  /**
   * An idempotency key recorded with the run (a pipeline passes its run's key), so a re-run can
   * find this run with `findIngestRun` instead of ingesting again.
   */
  key?: string;
  /** Counts the records read in `reelrank_ingest_rows_total` when the ingest succeeds. */
  metrics?: Metrics;
}

/** Generates virtual users over every stored movie (after a MovieLens or TMDB ingest). */
export async function ingestSynthetic(
  db: Database,
  opts: SyntheticIngestOptions,
): Promise<IngestReport> {
  const catalog = await loadCatalog(db);
  if (catalog.length === 0) {
    throw invalid(
      "no movies are stored yet; run `deno task ingest --source movielens` (or --source tmdb) first",
    );
  }
  const { metrics, ...params } = opts;
  return await runIngest(
    db,
    { source: "synthetic", params: { ...params }, metrics },
    (runId) => writeVirtualUsers(db, runId, { ...params, catalog }),
  );
}
