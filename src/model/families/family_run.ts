/**
 * One family trained inside one tracked child run: the model, its full evaluation (ranking,
 * beyond-accuracy, tie-aware) and what the run logs. A family that cannot fit the configured
 * memory ends its run with the reason instead of crashing (tags `skipped`, `skip_reason`).
 */
import type { Context } from "../../context.ts";
import { isPermanent, ReelrankError } from "../../errors.ts";
import type { Split } from "../../features/split.ts";
import type { ActiveRun } from "../../tracking/run.ts";
import { flatMetrics } from "../training/run.ts";
import { beyondMetrics, evaluateFull, type FullEvaluation } from "../evaluation/report.ts";
import type { Family, RecommenderModel } from "../model.ts";
import { loggedParams, resolveParams, type TrainParams } from "../training/hyperparams.ts";
import type { EpochLog } from "../training/member.ts";
import { trainRecommender } from "../training/train.ts";
import { easeNeeds, easeTooLarge, trainEase } from "./ease.ts";
import { trainItemKnn } from "./itemknn.ts";
import type { Candidate } from "./select.ts";

/** What a family's child run produced; `model` is null when the family was skipped. */
export interface FamilyOutcome {
  family: Family;
  runId: string;
  model: RecommenderModel | null;
  evaluation: FullEvaluation | null;
  /** The run's final metrics (empty when skipped). */
  metrics: Record<string, number>;
  /** Why the family was skipped. */
  skipped?: string;
  /** Wall seconds of training (grid included), without the final evaluation. */
  trainSeconds: number;
  /** EASE only: the fastest single closed-form fit, the in-process yardstick. */
  fitSeconds?: number;
  /** The checkpoint of the model (the MLP's tables in the precision its params asked for). */
  save(info: Record<string, unknown>): Promise<Uint8Array>;
}

/** How each family trains; the MLP's params come from the one hyperparameter table. */
export interface FamilyOptions {
  params?: Partial<TrainParams>;
  lambdas?: readonly number[];
  ks?: readonly number[];
  genres?: ReadonlyMap<number, readonly string[]>;
  signal?: AbortSignal;
  /** The MLP's epochs as they end (e.g. a pipeline task's log). */
  onEpoch?: (log: EpochLog) => void | Promise<void>;
}

/** Trains `family` on `split` inside `run` (params, grid or epochs, final metrics logged to it). */
export async function trainFamilyInRun(
  ctx: Pick<Context, "kernel" | "config">,
  split: Split,
  options: FamilyOptions & { family: Family; run: ActiveRun },
): Promise<FamilyOutcome> {
  const { family, run } = options;
  const memoryBytes = ctx.config.familyMemoryMiB * 1048576;
  const base = { users: split.users.length, items: split.universe.size, family };
  const skip = async (reason: string): Promise<FamilyOutcome> => {
    await run.logParams(base);
    await run.setTags({ family, skipped: "true", skip_reason: reason });
    return {
      family,
      runId: run.id,
      model: null,
      evaluation: null,
      metrics: {},
      skipped: reason,
      trainSeconds: 0,
      save: () => Promise.reject(new ReelrankError("INTERNAL", `${family} was skipped: ${reason}`)),
    };
  };
  if (family === "ease") {
    const need = easeNeeds(split.universe.size, split.users.length);
    if (need > memoryBytes) return await skip(easeTooLarge(split.universe.size, need, memoryBytes));
  }
  const grid = async (c: Candidate) => {
    const step = Math.round(c.value);
    await run.logMetrics({ grid_val_ndcg10: c.valNdcg10, grid_seconds: c.seconds }, step);
    await run.heartbeat();
  };
  const fit = {
    threads: ctx.config.threads,
    memoryBytes,
    signal: options.signal,
    onCandidate: grid,
  };
  let model: RecommenderModel;
  let params: Record<string, string | number | boolean>;
  let trainSeconds: number;
  let fitSeconds: number | undefined;
  let save = (info: Record<string, unknown>) => model.save(info);
  try {
    if (family === "mlp") {
      const p = resolveParams(options.params);
      params = loggedParams(p);
      await run.logParams({ ...base, ...params });
      const trained = await trainRecommender(await ctx.kernel(), split, {
        params: p,
        signal: options.signal,
        onEpoch: async (e) => {
          const m = `member${e.member}_`;
          await run.logMetrics(
            { [`${m}train_loss`]: e.loss, [`${m}val_ndcg10`]: e.valNdcg10 },
            e.epoch,
          );
          await run.heartbeat();
          await options.onEpoch?.(e);
        },
      });
      model = trained.model;
      trainSeconds = trained.seconds;
      save = (info) => trained.model.save(info, { tables: p.tables });
    } else {
      const r = family === "ease"
        ? await trainEase(split, { ...fit, lambdas: options.lambdas })
        : await trainItemKnn(split, { ...fit, ks: options.ks });
      model = r.model;
      trainSeconds = r.seconds;
      fitSeconds = r.fitSeconds;
      params = r.params;
      await run.logParams({
        ...base,
        ...params,
        grid: r.grid.map((c) => c.value).join(","),
      });
    }
  } catch (err) {
    // A family that cannot fit memory (a permanent UNAVAILABLE) is skipped, not failed.
    if (err instanceof ReelrankError && err.code === "UNAVAILABLE" && isPermanent(err)) {
      return await skip(err.message);
    }
    throw err;
  }
  const evaluation = await evaluateFull(split, model.scorer(), { genres: options.genres });
  const metrics: Record<string, number> = {
    ...flatMetrics(evaluation),
    ...beyondMetrics(evaluation),
    train_seconds: trainSeconds,
    served_flop_per_history: model.flopPerHistory(),
  };
  if (fitSeconds !== undefined) metrics.fit_seconds = fitSeconds;
  await run.logMetrics(metrics);
  await run.setTags({ family });
  return { family, runId: run.id, model, evaluation, metrics, trainSeconds, fitSeconds, save };
}
