/**
 * Gauges of stored state, read from the database when Prometheus scrapes the server: rows per
 * table, each source's last successful ingest, the newest snapshot and the newest drift reports.
 * This is how work done in another process (a CLI ingest, the scheduler's drift check) reaches
 * Prometheus: it is stored, and the workhorse exports what is stored.
 */
import { tableTotals } from "../data/ingest_report.ts";
import type { Sql } from "../db/types.ts";
import { getLogger } from "../log.ts";
import { readManifest } from "../snapshot/restore.ts";
import { manifestKey } from "../snapshot/tables.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { exportDriftReport } from "./drift/check.ts";
import { latestDriftReports } from "./drift/store.ts";
import { exportSnapshot, type Metrics, unset } from "./metrics.ts";

const log = getLogger("observability/database_gauges");

/** Reads the stored state into the gauges once. */
export async function refreshDatabaseGauges(
  metrics: Metrics,
  deps: { db: Sql; objects: ObjectStore },
): Promise<void> {
  const { db } = deps;
  const totals = await tableTotals(db);
  for (
    const [table, n] of Object.entries({
      movies: totals.movies,
      users: totals.users,
      interactions: totals.interactions,
      rejected_rows: totals.rejectedRows,
    })
  ) metrics.dataRows.set({ table }, n);
  const ingests = await db.query<{ source: string; t: number }>(
    `SELECT source, extract(epoch FROM max(finished_at))::float8 AS t FROM ingest_runs
     WHERE status = 'succeeded' GROUP BY source`,
  );
  for (const r of ingests) metrics.ingestLastSuccess.set({ source: r.source }, Number(r.t));
  const [snap] = await db.query<{ id: string }>(
    "SELECT id FROM snapshots ORDER BY created_at DESC, id DESC LIMIT 1",
  );
  if (snap) {
    const { manifest } = await readManifest(deps.objects, manifestKey(snap.id));
    exportSnapshot(metrics, { createdAt: new Date(manifest.createdAt), tables: manifest.tables });
  } else {
    unset(metrics.snapshotCreated);
  }
  for (const report of await latestDriftReports(db)) exportDriftReport(metrics, report);
}

/**
 * Refreshes the stored-state gauges on scrape, at most every `maxAgeMs` (default 15 s, so a
 * count over millions of interactions runs at most four times a minute). A failed read is
 * logged and the previous values stay; a read slower than `timeoutMs` (default 5 s) finishes in
 * the background while the scrape answers with the previous values, so a stuck database never
 * makes the server look down.
 */
export function attachDatabaseGauges(
  metrics: Metrics,
  deps: { db: Sql; objects: ObjectStore; clock: () => Date },
  options: { maxAgeMs?: number; timeoutMs?: number } = {},
): void {
  let last = -Infinity;
  let reading: Promise<void> | undefined;
  metrics.onScrape(async () => {
    const now = deps.clock().getTime();
    if (reading || now - last < (options.maxAgeMs ?? 15_000)) return;
    last = now;
    reading = refreshDatabaseGauges(metrics, deps).catch((err) =>
      log.warn("could not read the stored-state gauges; the previous values stay", { error: err })
    ).finally(() => reading = undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      reading,
      new Promise<void>((resolve) => timer = setTimeout(resolve, options.timeoutMs ?? 5_000)),
    ]);
    clearTimeout(timer);
  });
}
