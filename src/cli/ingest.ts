/** `deno task ingest`: load MovieLens, TMDB or virtual users, print the report, write a snapshot. */
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { ingestMovieLens } from "../data/ingest_movielens.ts";
import { ingestTmdb } from "../data/ingest_tmdb.ts";
import { ingestSynthetic } from "../data/ingest_synthetic.ts";
import { formatReport, type IngestReport } from "../data/ingest_report.ts";
import { finishIngestRun } from "../data/ingest_runs.ts";
import { TmdbClient } from "../data/tmdb.ts";
import type { Database } from "../db/types.ts";
import { ReelrankError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { createSnapshot } from "../snapshot/create.ts";

const log = getLogger("cli/ingest");

const HELP = `
deno task ingest — load data into reelrank, then snapshot the raw tables to the object store

  --source movielens [--path DIR]        a MovieLens CSV folder (default data/ml-latest-small)
  --source tmdb --pages N                TMDB popular movies (needs TMDB_API_KEY or TMDB_READ_TOKEN)
        [--users N --movies-per-user N --seed S --language en-US --region US]
                                         ...plus N virtual users watching them
  --source synthetic [--users N --movies-per-user N --seed S]
                                         virtual users over the movies already stored
  --no-snapshot                          skip the snapshot

Re-running an ingest is safe: rows are upserted, the report counts unchanged rows. When the
snapshot fails (object store down, disk full), the ingest run is recorded failed with the reason
and the command exits 1; its rows stay stored, and ingesting again writes the snapshot.
`;

const DEFAULT_PATH = new URL("../../data/ml-latest-small", import.meta.url).pathname;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    source: { type: "string" },
    path: { type: "string" },
    pages: { type: "string" },
    users: { type: "string" },
    "movies-per-user": { type: "string" },
    seed: { type: "string" },
    language: { type: "string" },
    region: { type: "string" },
    "no-snapshot": { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const source = values.source ?? "movielens";
  if (!["movielens", "tmdb", "synthetic"].includes(source)) {
    throw new UsageError(`--source must be movielens, tmdb or synthetic, got "${source}"`);
  }
  const seed = intFlag("seed", values.seed, 42, 0);
  const moviesPerUser = intFlag("movies-per-user", values["movies-per-user"], 30);
  let client: TmdbClient | undefined;
  if (source === "tmdb") {
    if (values.pages === undefined) {
      throw new UsageError("--source tmdb needs --pages N (20 movies per page)");
    }
    // Checked before opening the database so a missing key costs nothing.
    client = new TmdbClient({ ...config.tmdb });
  } else if (values.pages !== undefined) {
    throw new UsageError(`--pages only applies to --source tmdb`);
  }
  if (source === "movielens" && (values.users ?? values.seed) !== undefined) {
    throw new UsageError("--users and --seed apply to --source tmdb or synthetic");
  }
  const ctx = await openContext(config);
  const db = ctx.db;
  try {
    let report: IngestReport;
    if (source === "movielens") {
      report = await ingestMovieLens(db, { path: values.path ?? DEFAULT_PATH });
    } else if (source === "tmdb") {
      report = await ingestTmdb(db, client!, {
        pages: intFlag("pages", values.pages, 1),
        users: intFlag("users", values.users, 0, 0),
        moviesPerUser,
        seed,
        language: values.language,
        region: values.region,
      });
    } else {report = await ingestSynthetic(db, {
        users: intFlag("users", values.users, 200),
        moviesPerUser,
        seed,
      });}
    const extra: string[] = [];
    if (!values["no-snapshot"]) {
      try {
        const snap = await createSnapshot(db, ctx.objects, { ingestRunId: report.runId });
        extra.push(`snapshot ${snap.id} written to ${ctx.objects.url}`);
      } catch (err) {
        throw await snapshotFailed(db, report, err);
      }
    }
    console.log(formatReport(report, extra));
  } finally {
    await ctx.close();
  }
}

/**
 * The ingest's snapshot failed: its run, recorded succeeded when its rows were stored, is recorded
 * failed with the reason (the rows stay: batches commit whole), and the error says what happened.
 */
async function snapshotFailed(
  db: Database,
  report: IngestReport,
  err: unknown,
): Promise<ReelrankError> {
  const reason = (err as Error)?.message ?? String(err);
  try {
    await finishIngestRun(db, report.runId, {
      status: "failed",
      counts: report.tables,
      error: `snapshot failed: ${reason}`,
    });
  } catch (recordErr) {
    // The snapshot's error is what the user must see; the bookkeeping failure is logged with it.
    log.error("could not record the failed snapshot on the ingest run", {
      ingest_run_id: report.runId,
      error: recordErr,
      cause: err,
    });
  }
  return new ReelrankError(
    err instanceof ReelrankError ? err.code : "INTERNAL",
    `${
      reason.replace(/\s+/g, " ")
    } (the snapshot of ingest run ${report.runId}, recorded failed; ` +
      "its rows are stored, and ingesting again writes the snapshot)",
    { cause: err },
  );
}

if (import.meta.main) await runCli(HELP, main);
