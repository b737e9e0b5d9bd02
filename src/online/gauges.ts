/** The online gauges (CTR@10, watch rate, reciprocal position, impressions per version and arm), read from the database when scraped. */
import type { Sql } from "../db/types.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { MODEL_NAME } from "../registry/store.ts";
import { onlineMetrics } from "./online_metrics.ts";

const log = getLogger("online/gauges");

/** The window the gauges cover. */
export const GAUGE_WINDOW_MS = 3_600_000;

/** Reads the last hour's online metrics of model answers into the gauges once. */
export async function refreshOnlineGauges(
  metrics: Metrics,
  deps: { db: Sql; clock: () => Date },
): Promise<void> {
  const until = deps.clock();
  const rows = await onlineMetrics(deps.db, {
    model: MODEL_NAME,
    since: new Date(until.getTime() - GAUGE_WINDOW_MS),
    until: new Date(until.getTime() + 1),
  });
  const gauges = [
    metrics.onlineCtr,
    metrics.onlineWatchRate,
    metrics.onlineReciprocalPosition,
    metrics.onlineImpressions,
  ];
  for (const g of gauges) g.reset();
  for (const r of rows) {
    if (r.strategy !== "model" || r.version === null) continue;
    const labels = { version: String(r.version), arm: r.arm };
    metrics.onlineImpressions.set(labels, r.impressions);
    if (r.ctr.value !== null) metrics.onlineCtr.set(labels, r.ctr.value);
    if (r.watchRate.value !== null) metrics.onlineWatchRate.set(labels, r.watchRate.value);
    if (r.reciprocalPosition.value !== null) {
      metrics.onlineReciprocalPosition.set(labels, r.reciprocalPosition.value);
    }
  }
}

/** Refreshes the online gauges on every scrape; a failed read keeps the last values. */
export function attachOnlineGauges(metrics: Metrics, deps: { db: Sql; clock: () => Date }): void {
  metrics.onScrape(() =>
    refreshOnlineGauges(metrics, deps).catch((err) =>
      log.warn("could not read the online metrics for /metrics", { error: err })
    )
  );
}
