/** Drift reports in the database: one upserted row per compared inputs, its PSI per feature, the retrain it started. */
import type { Sql } from "../../db/types.ts";

/** What a drift check compared. */
export type DriftKind = "data" | "recommendations";

/** One feature's bins: reference and recent shares. */
export interface FeatureDetail {
  bins: string[];
  reference: number[];
  recent: number[];
}

/** A report as computed, before it is stored. */
export interface DriftReportInput {
  kind: DriftKind;
  /** Names the inputs: the same key updates the stored report. */
  key: string;
  reference: string;
  subject: string;
  sampleSize: number;
  threshold: number;
  /** PSI per feature. */
  scores: Record<string, number>;
  overlapAt10?: number | null;
  details: Record<string, FeatureDetail>;
  checkedAt: Date;
}

/** A stored report. */
export interface DriftReport extends DriftReportInput {
  id: number;
  overlapAt10: number | null;
  retrainRequestedAt: Date | null;
  retrainRunId: string | null;
  retrainError: string | null;
}

/** Stores `r` (or updates the report with its key, replacing its scores); returns its id. */
export async function saveDriftReport(db: Sql, r: DriftReportInput): Promise<number> {
  return await db.transaction(async (tx) => {
    const [{ id }] = await tx.query<{ id: number }>(
      `INSERT INTO drift_reports (kind, key, reference, subject, sample_size, threshold, overlap_at_10,
         details, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
       ON CONFLICT (key) DO UPDATE SET threshold = excluded.threshold, details = excluded.details,
         overlap_at_10 = excluded.overlap_at_10, checked_at = excluded.checked_at
       RETURNING id`,
      [
        r.kind,
        r.key,
        r.reference,
        r.subject,
        r.sampleSize,
        r.threshold,
        r.overlapAt10 ?? null,
        JSON.stringify(r.details),
        r.checkedAt,
      ],
    );
    await tx.query("DELETE FROM drift_scores WHERE report_id = $1", [id]);
    const features = Object.keys(r.scores);
    await tx.query(
      `INSERT INTO drift_scores (report_id, feature, psi)
       SELECT $1, f, v FROM unnest($2::text[], $3::float8[]) AS x(f, v)`,
      [id, features, features.map((f) => r.scores[f])],
    );
    return Number(id);
  });
}

/** Records the retraining run a report started, or why it could not start. */
export async function recordRetrain(
  db: Sql,
  id: number,
  outcome: { at: Date; runId?: string | null; error?: string | null },
): Promise<void> {
  await db.query(
    `UPDATE drift_reports SET retrain_requested_at = $2, retrain_run_id = $3, retrain_error = $4
     WHERE id = $1`,
    [id, outcome.at, outcome.runId ?? null, outcome.error ?? null],
  );
}

/** When a report last started a retraining run (null: never). */
export async function lastRetrainRequest(db: Sql): Promise<Date | null> {
  const [row] = await db.query<{ at: Date | null }>(
    "SELECT max(retrain_requested_at) AS at FROM drift_reports WHERE retrain_error IS NULL",
  );
  return row?.at ? new Date(row.at) : null;
}

const REPORT_COLUMNS = `r.id, r.kind, r.key, r.reference, r.subject, r.sample_size, r.threshold,
  r.overlap_at_10, r.details, r.checked_at, r.retrain_requested_at, r.retrain_run_id, r.retrain_error,
  coalesce((SELECT json_object_agg(s.feature, s.psi) FROM drift_scores s WHERE s.report_id = r.id),
    '{}'::json) AS scores`;

function toReport(r: Record<string, unknown>): DriftReport {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    id: Number(r.id),
    kind: r.kind as DriftKind,
    key: r.key as string,
    reference: r.reference as string,
    subject: r.subject as string,
    sampleSize: Number(r.sample_size),
    threshold: Number(r.threshold),
    scores: typeof r.scores === "string"
      ? JSON.parse(r.scores)
      : r.scores as Record<string, number>,
    overlapAt10: r.overlap_at_10 === null ? null : Number(r.overlap_at_10),
    details: r.details as Record<string, FeatureDetail>,
    checkedAt: date(r.checked_at)!,
    retrainRequestedAt: date(r.retrain_requested_at),
    retrainRunId: (r.retrain_run_id as string | null) ?? null,
    retrainError: (r.retrain_error as string | null) ?? null,
  };
}

/** The newest report of each kind. */
export async function latestDriftReports(db: Sql): Promise<DriftReport[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${REPORT_COLUMNS} FROM drift_reports r
     WHERE r.id IN (SELECT DISTINCT ON (kind) id FROM drift_reports ORDER BY kind, checked_at DESC, id DESC)
     ORDER BY r.kind`,
  );
  return rows.map(toReport);
}

/** The newest `limit` reports, oldest first (for charts over time). */
export async function driftHistory(db: Sql, options: { limit: number }): Promise<DriftReport[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM (SELECT ${REPORT_COLUMNS} FROM drift_reports r
       ORDER BY r.checked_at DESC, r.id DESC LIMIT $1) x ORDER BY checked_at, id`,
    [options.limit],
  );
  return rows.map(toReport);
}
