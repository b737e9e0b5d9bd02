/** The online gauges (CTR@10, watch rate, reciprocal position with their 95 % intervals, impressions per version and arm), read from the database when scraped. */
import type { Gauge } from "prom-client";
import type { Sql } from "../db/types.ts";
import { getLogger } from "../log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { MODEL_NAME } from "../registry/store.ts";
import { onlineMetrics } from "./online_metrics.ts";
import type { Estimate } from "./stats.ts";

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
  const figures = [
    [metrics.onlineCtr, metrics.onlineCtrBound, "ctr"],
    [metrics.onlineWatchRate, metrics.onlineWatchRateBound, "watchRate"],
    [metrics.onlineReciprocalPosition, metrics.onlineReciprocalPositionBound, "reciprocalPosition"],
  ] as const;
  metrics.onlineImpressions.reset();
  for (const [value, bound] of figures) {
    value.reset();
    bound.reset();
  }
  for (const r of rows) {
    if (r.strategy !== "model" || r.version === null) continue;
    const labels = { version: String(r.version), arm: r.arm };
    metrics.onlineImpressions.set(labels, r.impressions);
    for (const [value, bound, key] of figures) setEstimate(value, bound, labels, r[key]);
  }
}

// A figure and its interval; nothing when there is no observation to estimate it from.
function setEstimate(
  value: Gauge<"version" | "arm">,
  bound: Gauge<"version" | "arm" | "bound">,
  labels: { version: string; arm: string },
  e: Estimate,
): void {
  if (e.value === null || e.low === null || e.high === null) return;
  value.set(labels, e.value);
  bound.set({ ...labels, bound: "lower" }, e.low);
  bound.set({ ...labels, bound: "upper" }, e.high);
}

/** Refreshes the online gauges on every scrape; a failed read keeps the last values. */
export function attachOnlineGauges(metrics: Metrics, deps: { db: Sql; clock: () => Date }): void {
  metrics.onScrape(() =>
    refreshOnlineGauges(metrics, deps).catch((err) =>
      log.warn("could not read the online metrics for /metrics", { error: err })
    )
  );
}
