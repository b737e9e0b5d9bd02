/** Ingest run bookkeeping: a row per run, a heartbeat per committed batch, a final status and counts. */
import type { Database, Sql } from "../db/types.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { type IngestReport, type TableCounts, tableTotals } from "./ingest_report.ts";

const log = getLogger("data/ingest_runs");

/** Where the rows of an ingest come from. */
export type IngestSource = "movielens" | "tmdb" | "synthetic";

/** How long a 'running' run may go without a heartbeat before another run calls it interrupted. */
const STALE_SECONDS = 120;

/**
 * Records the start of a run and marks earlier runs of the same source that stopped without
 * finishing (a killed process) as interrupted. On PGlite the data-folder lock guarantees no other
 * process is ingesting, so every 'running' run is stale; on PostgreSQL only silent ones are.
 */
export async function startIngestRun(
  db: Database,
  source: IngestSource,
  params: unknown,
): Promise<number> {
  const staleAfter = db.kind === "pglite" ? 0 : STALE_SECONDS;
  await db.query(
    `UPDATE ingest_runs SET status = 'interrupted', finished_at = now(), error = 'stopped without finishing'
     WHERE source = $1 AND status = 'running' AND heartbeat_at <= now() - make_interval(secs => $2)`,
    [source, staleAfter],
  );
  const [row] = await db.query<{ id: number }>(
    "INSERT INTO ingest_runs (source, params) VALUES ($1, $2::jsonb) RETURNING id",
    [source, JSON.stringify(params ?? {})],
  );
  return row.id;
}

/** Marks the run alive; called inside each batch transaction so it commits with the batch. */
export async function heartbeat(sql: Sql, runId: number): Promise<void> {
  await sql.query("UPDATE ingest_runs SET heartbeat_at = now() WHERE id = $1", [runId]);
}

/** Records the end of a run with its counts, or the error that stopped it. */
export async function finishIngestRun(
  db: Sql,
  runId: number,
  outcome: { status: "succeeded" | "failed"; counts?: unknown; error?: string },
): Promise<void> {
  await db.query(
    `UPDATE ingest_runs SET status = $2, finished_at = now(), heartbeat_at = now(),
       counts = $3::jsonb, error = $4 WHERE id = $1`,
    [
      runId,
      outcome.status,
      outcome.counts === undefined ? null : JSON.stringify(outcome.counts),
      outcome.error ?? null,
    ],
  );
}

/** One row of `ingest_runs`. */
export interface IngestRun {
  id: number;
  source: string;
  status: string;
  params: unknown;
  counts: unknown;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The most recent runs, newest first. */
export async function listIngestRuns(db: Sql, opts: { limit?: number } = {}): Promise<IngestRun[]> {
  const rows = await db.query<Record<string, unknown>>(
    "SELECT id, source, status, params, counts, started_at, finished_at FROM ingest_runs ORDER BY id DESC LIMIT $1",
    [opts.limit ?? 20],
  );
  return rows.map(toIngestRun);
}

function toIngestRun(r: Record<string, unknown>): IngestRun {
  return {
    id: r.id as number,
    source: r.source as string,
    status: r.status as string,
    params: r.params,
    counts: r.counts,
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
  };
}

/** The succeeded run recorded with idempotency `key` (see the ingest options), or null. */
export async function findIngestRun(db: Sql, key: string): Promise<IngestRun | null> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, source, status, params, counts, started_at, finished_at FROM ingest_runs
     WHERE status = 'succeeded' AND params->>'key' = $1 ORDER BY id DESC LIMIT 1`,
    [key],
  );
  return rows.length ? toIngestRun(rows[0]) : null;
}

/**
 * Runs one ingest as a recorded run: `work` writes the rows (committing batch by batch) and
 * returns its per-table counts; the run ends succeeded with them, or failed with the error, which
 * is rethrown. The report carries the totals stored afterwards and the time taken.
 */
export async function runIngest(
  db: Database,
  run: { source: IngestSource; params: Record<string, unknown>; metrics?: Metrics },
  work: (runId: number) => Promise<Record<string, TableCounts>>,
): Promise<IngestReport> {
  const started = performance.now();
  const runId = await startIngestRun(db, run.source, run.params);
  try {
    const tables = await work(runId);
    const report: IngestReport = {
      runId,
      source: run.source,
      params: run.params,
      tables,
      totals: await tableTotals(db),
      seconds: (performance.now() - started) / 1000,
    };
    await finishIngestRun(db, runId, { status: "succeeded", counts: tables });
    if (run.metrics) observeIngest(run.metrics, report);
    return report;
  } catch (err) {
    try {
      await finishIngestRun(db, runId, { status: "failed", error: (err as Error).message });
    } catch (recordErr) {
      // The ingest error is what the caller must see; the bookkeeping failure is logged with it.
      log.error("could not record the failed ingest run", {
        ingest_run_id: runId,
        error: recordErr,
        cause: err,
      });
    }
    throw err;
  }
}

/** Counts a finished ingest's records in `reelrank_ingest_rows_total` by source, kind and outcome. */
export function observeIngest(metrics: Metrics, report: IngestReport): void {
  for (const [table, c] of Object.entries(report.tables)) {
    const source = report.source;
    metrics.ingestRows.inc({ source, table, outcome: "accepted" }, c.accepted);
    metrics.ingestRows.inc({ source, table, outcome: "rejected" }, c.rejected);
    metrics.ingestRows.inc({ source, table, outcome: "duplicate" }, c.duplicates);
  }
}
