/** The DAG schedules on Deno.cron: a handler only starts a run; the engine does the rest. */
import { ReelrankError } from "../src/errors.ts";
import { getLogger } from "../src/log.ts";
import type { PipelineService } from "../src/pipeline/service.ts";
import { RECOMMEND_DAG } from "./recommend_dag.ts";

const log = getLogger("pipelines/schedules");

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
}
