/**
 * The drift check, run at each publish and on a schedule: data drift against the production
 * model's training snapshot and recommendation drift against the previous batch, stored, exported
 * as gauges, and — when enabled and data drift crosses the threshold — a retraining run started
 * through the injected trigger (the pipeline's, with trigger "drift").
 */
import type { Database } from "../../db/types.ts";
import { latestSnapshotId } from "../../data/queries.ts";
import { getLogger } from "../../log.ts";
import { MODEL_NAME, type ModelRegistry, PRODUCTION } from "../../registry/store.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import type { Metrics } from "../metrics.ts";
import {
  dataDriftReport,
  interactionsAfter,
  movieGenres,
  snapshotInteractions,
  type TimedSample,
} from "./data_drift.ts";
import { recommendationDriftReport } from "./recommendation_drift.ts";
import {
  type DriftKind,
  type DriftReport,
  type DriftReportInput,
  lastRetrainRequest,
  latestDriftReports,
  recordRetrain,
  saveDriftReport,
} from "./store.ts";

const log = getLogger("observability/drift");

/** Starts a retraining run; resolves with its id (the pipeline's triggerRun after wiring). */
export type RetrainTrigger = (request: {
  /** The drift report that asked for it. */
  reportId: number;
  /** Which features crossed the threshold, in words. */
  reason: string;
  logicalDate: Date;
}) => Promise<{ runId: string } | void>;

/** What the check reads and writes. */
export interface DriftDeps {
  db: Database;
  objects: ObjectStore;
  registry: Pick<ModelRegistry, "getAlias">;
  clock: () => Date;
  /** Set from every stored report when given. */
  metrics?: Metrics;
}

/** Options of {@link checkDrift}. */
export interface DriftOptions {
  /** PSI above which a feature drifts (config REELRANK_DRIFT_THRESHOLD). */
  threshold: number;
  /** Start a retraining run on data drift (config REELRANK_DRIFT_RETRAIN); needs `trigger`. */
  retrain: boolean;
  trigger?: RetrainTrigger;
  /** Which comparisons to run (default both). */
  kinds?: readonly DriftKind[];
  /** Fewest recent interactions worth scoring (default 1,000: below, sampling noise alone nears 0.2 on 20 genres). */
  minSample?: number;
  /** Most recent interactions scored (default 100,000). */
  maxSample?: number;
  /** No second drift-started run within this time (default 6 h). */
  cooldownMs?: number;
  /** Reference samples by snapshot id, kept between checks by a long-lived caller. */
  cache?: Map<string, TimedSample>;
}

/** What a check did. */
export interface DriftOutcome {
  reports: DriftReport[];
  /** Comparisons not made, and why. */
  skipped: { kind: DriftKind; reason: string }[];
  /** The retraining run started, or why none was. */
  retrain: { runId: string | null; reportId: number } | { skipped: string } | null;
}

/** Sets the drift gauges from `report`. */
export function exportDriftReport(metrics: Metrics, report: DriftReportInput): void {
  for (const [feature, value] of Object.entries(report.scores)) {
    metrics.driftPsi.set({ feature }, value);
  }
  if (report.overlapAt10 !== null && report.overlapAt10 !== undefined) {
    metrics.recommendationOverlap.set(report.overlapAt10);
  }
  metrics.driftLastCheck.set({ kind: report.kind }, report.checkedAt.getTime() / 1000);
}

async function dataReport(
  deps: DriftDeps,
  o: DriftOptions,
  genres: Map<number, string[]>,
): Promise<DriftReportInput | string> {
  const production = await deps.registry.getAlias(MODEL_NAME, PRODUCTION);
  const snapshotId = production?.snapshotId ?? await latestSnapshotId(deps.db);
  if (!snapshotId) return "no training snapshot to compare with: ingest and snapshot first";
  let reference = o.cache?.get(snapshotId);
  if (!reference) {
    reference = await snapshotInteractions(deps.objects, snapshotId);
    o.cache?.set(snapshotId, reference);
  }
  const recent = await interactionsAfter(deps.db, reference.maxTs, {
    limit: o.maxSample ?? 100_000,
  });
  const min = o.minSample ?? 1_000;
  if (recent.movies.length < min) {
    return `${recent.movies.length} interactions since snapshot ${snapshotId}; drift needs at least ${min}`;
  }
  return dataDriftReport({ snapshotId, reference, recent, genres }, {
    threshold: o.threshold,
    checkedAt: deps.clock(),
  });
}

async function maybeRetrain(
  deps: DriftDeps,
  o: DriftOptions,
  report: DriftReport,
): Promise<DriftOutcome["retrain"]> {
  const over = Object.entries(report.scores).filter(([, v]) => v > o.threshold);
  if (!over.length) return null;
  if (!o.retrain) return { skipped: "REELRANK_DRIFT_RETRAIN is off" };
  if (!o.trigger) return { skipped: "no pipeline trigger is wired in this process" };
  if (report.retrainRequestedAt) return { skipped: `report ${report.id} already started one` };
  const now = deps.clock();
  const last = await lastRetrainRequest(deps.db);
  const cooldown = o.cooldownMs ?? 6 * 3600_000;
  if (last && now.getTime() - last.getTime() < cooldown) {
    return { skipped: `a drift retrain was started at ${last.toISOString()}, within the cooldown` };
  }
  const reason = over.map(([f, v]) => `${f} PSI ${v.toFixed(3)} > ${o.threshold}`).join(", ");
  try {
    const started = await o.trigger({ reportId: report.id, reason, logicalDate: now });
    const runId = started ? started.runId : null;
    await recordRetrain(deps.db, report.id, { at: now, runId });
    log.warn("data drift: retraining started", { report_id: report.id, reason, run_id: runId });
    return { runId, reportId: report.id };
  } catch (err) {
    await recordRetrain(deps.db, report.id, { at: now, error: (err as Error).message });
    log.error("data drift: the retraining run could not start", {
      report_id: report.id,
      reason,
      error: err,
    });
    return { skipped: `the trigger failed: ${(err as Error).message}` };
  }
}

/** Runs the comparisons, stores their reports, exports them, and starts a retrain if due. */
export async function checkDrift(deps: DriftDeps, o: DriftOptions): Promise<DriftOutcome> {
  const kinds = o.kinds ?? ["data", "recommendations"];
  const genres = await movieGenres(deps.db);
  const outcome: DriftOutcome = { reports: [], skipped: [], retrain: null };
  const inputs: DriftReportInput[] = [];
  if (kinds.includes("data")) {
    const r = await dataReport(deps, o, genres);
    if (typeof r === "string") outcome.skipped.push({ kind: "data", reason: r });
    else inputs.push(r);
  }
  if (kinds.includes("recommendations")) {
    const r = await recommendationDriftReport(deps.db, {
      genres,
      threshold: o.threshold,
      checkedAt: deps.clock(),
    });
    if (r) inputs.push(r);
    else outcome.skipped.push({ kind: "recommendations", reason: "fewer than two batches" });
  }
  for (const input of inputs) await saveDriftReport(deps.db, input);
  const stored = await latestDriftReports(deps.db);
  outcome.reports = stored.filter((r) => inputs.some((i) => i.key === r.key));
  for (const r of outcome.reports) {
    if (deps.metrics) exportDriftReport(deps.metrics, r);
    log.info("drift checked", { kind: r.kind, report_id: r.id, ...r.scores });
  }
  const data = outcome.reports.find((r) => r.kind === "data");
  if (data) outcome.retrain = await maybeRetrain(deps, o, data);
  return outcome;
}
