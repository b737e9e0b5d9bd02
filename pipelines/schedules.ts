/** The schedules on Deno.cron: the DAG's (a handler only starts a run; the engine does the rest) and the drift check's. */
import { ReelrankError } from "../src/errors.ts";
import { getLogger } from "../src/log.ts";
import type { Context } from "../src/context.ts";
import { checkDrift, type RetrainTrigger } from "../src/observability/drift/check.ts";
import type { TimedSample } from "../src/observability/drift/data_drift.ts";
import type { PipelineService } from "../src/pipeline/service.ts";
import { RECOMMEND_DAG } from "./recommend_dag.ts";

const log = getLogger("pipelines/schedules");

/** When drift is checked between runs: hourly, at half past. */
export const DRIFT_CRON = "30 * * * *";

/** Deno.cron's shape, injectable so tests can fire a schedule by hand. */
export type Cron = (
  name: string,
  schedule: string,
  options: { signal?: AbortSignal },
  handler: () => Promise<void>,
) => Promise<void> | void;

/** Options of {@link registerSchedules}. */
export interface ScheduleOptions {
  /** Cron expression of the `recommend` DAG (REELRANK_DAG_CRON; default daily at 03:00 UTC). */
  schedule: string;
  /** Aborting it removes the schedules. */
  signal?: AbortSignal;
  cron?: Cron;
  clock?: () => Date;
  /**
   * The drift check (`checkDrift` on the context) run on {@link DRIFT_CRON}; it gets the trigger
   * that starts a `recommend` run with trigger "drift" (it decides whether to use it).
   */
  driftCheck?: (trigger: RetrainTrigger) => Promise<unknown>;
}

/**
 * The scheduled drift check on `ctx`: data and recommendation drift, retraining through the
 * trigger when REELRANK_DRIFT_RETRAIN is on (at most once per report and per 6 h, its rules).
 */
export function contextDriftCheck(ctx: Context): (trigger: RetrainTrigger) => Promise<unknown> {
  // Reference samples by snapshot id, kept between checks.
  const cache = new Map<string, TimedSample>();
  return (trigger) =>
    checkDrift(ctx, {
      threshold: ctx.config.drift.threshold,
      retrain: ctx.config.drift.retrain,
      trigger,
      cache,
    });
}

/** The drift check's trigger: a `recommend` run started with trigger "drift", dated to the check. */
export function driftTrigger(pipeline: Pick<PipelineService, "trigger">): RetrainTrigger {
  return async (request) => ({
    runId: await pipeline.trigger({
      dag: RECOMMEND_DAG,
      trigger: "drift",
      logicalDate: request.logicalDate,
    }),
  });
}

/**
 * Registers the `recommend` schedule. On each tick the handler starts a run whose logical date is
 * the tick's minute (UTC), with default parameters; while a run is active the tick is skipped and
 * logged. Handlers never throw: a failed start is logged and the next tick tries again.
 */
export function registerSchedules(
  pipeline: Pick<PipelineService, "trigger">,
  options: ScheduleOptions,
): void {
  const cron: Cron = options.cron ?? Deno.cron;
  const clock = options.clock ?? (() => new Date());
  const name = `reelrank ${RECOMMEND_DAG}`;
  cron(name, options.schedule, { signal: options.signal }, async () => {
    const logicalDate = new Date(Math.floor(clock().getTime() / 60_000) * 60_000);
    try {
      const runId = await pipeline.trigger({
        dag: RECOMMEND_DAG,
        trigger: "schedule",
        logicalDate,
      });
      log.info("scheduled run started", { dag: RECOMMEND_DAG, run_id: runId });
    } catch (err) {
      if (err instanceof ReelrankError && err.code === "CONFLICT") {
        log.warn("scheduled run skipped: a run is still active", {
          dag: RECOMMEND_DAG,
          error: err,
        });
      } else log.error("scheduled run could not start", { dag: RECOMMEND_DAG, error: err });
    }
  });
  log.info("schedule registered", { dag: RECOMMEND_DAG, cron: options.schedule });
  const check = options.driftCheck;
  if (!check) return;
  cron("reelrank drift", DRIFT_CRON, { signal: options.signal }, async () => {
    try {
      await check(driftTrigger(pipeline));
    } catch (err) {
      log.error("the scheduled drift check failed", { error: err });
    }
  });
}
