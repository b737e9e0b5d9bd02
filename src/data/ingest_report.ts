/** The ingest report: per-table counts, totals and time, plus its one-screen text form for the CLI. */
import type { Sql } from "../db/types.ts";
import type { IngestSource } from "./ingest_runs.ts";
import type { WriteCounts } from "./rows.ts";

/** What happened to one kind of record. `accepted = inserted + updated + unchanged`. */
export interface TableCounts extends WriteCounts {
  /** Records read from the source. */
  read: number;
  /** Valid and unique records that were written (or found identical). */
  accepted: number;
  /** Records that failed the data contract; each is a row in rejected_rows. */
  rejected: number;
  /** Valid records whose key already appeared earlier in the same input; skipped. */
  duplicates: number;
}

/** The outcome of one ingest run. */
export interface IngestReport {
  runId: number;
  source: IngestSource;
  params: Record<string, unknown>;
  /** Keyed by record kind: movies, links (MovieLens), users, interactions. */
  tables: Record<string, TableCounts>;
  /** Rows in each table after the run. */
  totals: { movies: number; users: number; interactions: number; rejectedRows: number };
  seconds: number;
}

/** Zeroed counts. */
export function emptyCounts(): TableCounts {
  return {
    read: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
  };
}

/** Adds what one batch write did to `counts`. */
export function addWrites(counts: TableCounts, w: WriteCounts): void {
  counts.inserted += w.inserted;
  counts.updated += w.updated;
  counts.unchanged += w.unchanged;
  counts.accepted += w.inserted + w.updated + w.unchanged;
}

/** Counts every data table. */
export async function tableTotals(db: Sql): Promise<IngestReport["totals"]> {
  const [r] = await db.query<IngestReport["totals"]>(
    `SELECT (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM users)::int AS users,
       (SELECT count(*) FROM interactions)::int AS interactions,
       (SELECT count(*) FROM rejected_rows)::int AS "rejectedRows"`,
  );
  return r;
}

const n = (x: number) => x.toLocaleString("en-US");

/** The report as a small table that fits one screen. */
export function formatReport(report: IngestReport, extra: string[] = []): string {
  const cols = [
    "read",
    "accepted",
    "rejected",
    "duplicates",
    "inserted",
    "updated",
    "unchanged",
  ] as const;
  const rows = Object.entries(report.tables).map((
    [name, c],
  ) => [name, ...cols.map((k) => n(c[k]))]);
  const header = ["", ...cols];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  const t = report.totals;
  return [
    `ingest run ${report.runId} (${report.source}) finished in ${report.seconds.toFixed(2)} s`,
    line(header),
    ...rows.map(line),
    `stored now: ${n(t.movies)} movies, ${n(t.users)} users, ${n(t.interactions)} interactions, ${
      n(t.rejectedRows)
    } rejected rows`,
    ...extra,
  ].join("\n");
}
