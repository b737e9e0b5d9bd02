/** Read-only queries for the site's data page: rejected rows by reason, recent rejections, ingest runs with errors, snapshots. */
import type { Sql } from "../db/types.ts";

/** How many rows each source rejected for one reason. */
export interface RejectionReason {
  source: string;
  reason: string;
  count: number;
}

/** One rejected row as stored. */
export interface Rejection {
  id: number;
  source: string;
  reason: string;
  raw: unknown;
  ingestRunId: number | null;
  createdAt: Date;
}

/** One ingest run with its outcome. */
export interface IngestRunRow {
  id: number;
  source: string;
  status: string;
  counts: unknown;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** One data snapshot. */
export interface SnapshotRow {
  id: string;
  createdAt: Date;
  sha256: string;
  rowCounts: Record<string, number>;
  ingestRunId: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Rejected rows grouped by source and reason, most frequent first. */
export async function rejectionReasons(
  db: Sql,
  options: { limit: number },
): Promise<RejectionReason[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT source, reason, count(*)::int AS n FROM rejected_rows
     GROUP BY source, reason ORDER BY n DESC, source, reason LIMIT $1`,
    [options.limit],
  );
  return rows.map((r) => ({
    source: r.source as string,
    reason: r.reason as string,
    count: Number(r.n),
  }));
}

/** The latest rejected rows, newest first. */
export async function recentRejections(db: Sql, options: { limit: number }): Promise<Rejection[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, source, reason, raw, ingest_run_id, created_at FROM rejected_rows ORDER BY id DESC LIMIT $1`,
    [options.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    source: r.source as string,
    reason: r.reason as string,
    raw: r.raw,
    ingestRunId: num(r.ingest_run_id),
    createdAt: new Date(r.created_at as string | Date),
  }));
}

/** The latest ingest runs, newest first, with the error of those that failed. */
export async function recentIngestRuns(
  db: Sql,
  options: { limit: number },
): Promise<IngestRunRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, source, status, counts, error, started_at, finished_at FROM ingest_runs
     ORDER BY id DESC LIMIT $1`,
    [options.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    source: r.source as string,
    status: r.status as string,
    counts: r.counts,
    error: (r.error as string | null) ?? null,
    startedAt: new Date(r.started_at as string | Date),
    finishedAt: r.finished_at ? new Date(r.finished_at as string | Date) : null,
  }));
}

/** The latest snapshots, newest first. */
export async function recentSnapshots(db: Sql, options: { limit: number }): Promise<SnapshotRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, created_at, sha256, row_counts, ingest_run_id FROM snapshots
     ORDER BY created_at DESC, id LIMIT $1`,
    [options.limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    createdAt: new Date(r.created_at as string | Date),
    sha256: r.sha256 as string,
    rowCounts: r.row_counts as Record<string, number>,
    ingestRunId: num(r.ingest_run_id),
  }));
}
