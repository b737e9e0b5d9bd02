/** ingest: MovieLens files, TMDB popular movies or virtual users into the database (upserts, validated rows). */
import type { Context } from "../../src/context.ts";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";
import type { IngestReport } from "../../src/data/ingest_report.ts";
import { findIngestRun } from "../../src/data/ingest_runs.ts";
import { ingestSynthetic } from "../../src/data/ingest_synthetic.ts";
import { ingestTmdb } from "../../src/data/ingest_tmdb.ts";
import { countInteractions } from "../../src/data/queries.ts";
import { TmdbClient } from "../../src/data/tmdb.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import type { IngestResult } from "./results.ts";

/** The ingest task. A run keyed like an earlier succeeded one reuses it instead of ingesting again. */
export const ingestTask: TaskSpec<Context> = {
  id: "ingest",
  description: "load movies and interactions from the source (MovieLens, TMDB, virtual users)",
  retries: 3,
  retryDelayMs: 30_000,
  timeoutMs: 60 * 60_000,
  async run(ctx): Promise<IngestResult> {
    const { db, config, metrics } = ctx.deps;
    const source = ctx.params.source as string;
    if (source === "none") {
      ctx.log.info("source none: using the data already stored");
      return { ingestRunId: null, source, interactions: await countInteractions(db) };
    }
    const earlier = await findIngestRun(db, ctx.key);
    if (earlier) {
      ctx.log.info(`ingest run ${earlier.id} already ingested for ${ctx.key}; reusing it`);
      return { ingestRunId: earlier.id, source, interactions: await countInteractions(db) };
    }
    const users = ctx.params.users as number;
    const moviesPerUser = ctx.params["movies-per-user"] as number;
    const seed = ctx.params["data-seed"] as number;
    let report: IngestReport;
    if (source === "movielens") {
      report = await ingestMovieLens(db, {
        path: ctx.params.path as string,
        key: ctx.key,
        metrics,
      });
    } else if (source === "tmdb") {
      const client = new TmdbClient({ ...config.tmdb });
      report = await ingestTmdb(db, client, {
        pages: ctx.params.pages as number,
        users,
        moviesPerUser,
        seed,
        key: ctx.key,
        metrics,
      });
    } else {
      report = await ingestSynthetic(db, { users, moviesPerUser, seed, key: ctx.key, metrics });
    }
    for (const [table, c] of Object.entries(report.tables)) {
      ctx.log.info(`${table}: ${c.read} read, ${c.accepted} accepted, ${c.rejected} rejected`, {
        table,
        ...c,
      });
    }
    ctx.log.info(
      `ingest run ${report.runId} done in ${report.seconds.toFixed(1)} s`,
      report.totals,
    );
    return { ingestRunId: report.runId, source, interactions: report.totals.interactions };
  },
};
