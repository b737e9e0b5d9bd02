/**
 * A tracked training run: split the stored interactions, train, evaluate the model and the
 * popularity baseline with one protocol, log everything, register the version and apply the
 * promotion gate. `deno task train`, `deno task start` and the pipeline all call this.
 */
import type { Context } from "../../context.ts";
import { MODEL_NAME } from "../../registry/store.ts";
import { loadInteractions } from "../../data/queries.ts";
import { invalid } from "../../errors.ts";
import { type Split, splitInteractions } from "../../features/split.ts";
import type { PromotionDecision } from "../../registry/store.ts";
import { withRun } from "../../tracking/run.ts";
import { popularityScorer } from "../evaluation/baselines.ts";
import { evaluateBoth, type PhaseReport } from "../evaluation/ranking_metrics.ts";
import { loggedParams, resolveParams, type TrainParams } from "./hyperparams.ts";
import type { EpochLog, StepProgress } from "./member.ts";
import { trainRecommender } from "./train.ts";

/** Validation and test reports of one scorer. */
export interface Evaluation {
  validation: PhaseReport;
  test: PhaseReport;
}

/** What a training run produced. */
export interface TrainRunResult {
  runId: string;
  version: number;
  decision: PromotionDecision;
  model: Evaluation;
  popularity: Evaluation;
  params: TrainParams;
  epochs: EpochLog[];
  bestEpochs: number[];
  trainSeconds: number;
  users: number;
  items: number;
}

/** Loads every stored interaction and applies the leave-last-two-out split. */
export async function loadSplit(ctx: Pick<Context, "db">): Promise<Split> {
  const rows = await loadInteractions(ctx.db);
  const split = splitInteractions({ users: rows.user, items: rows.movie, timestamps: rows.ts });
  if (split.users.length < 2 || split.universe.size < 2) {
    throw invalid(
      `not enough data to train: ${split.users.length} users with ≥ 3 interactions and ${split.universe.size} movies; run \`deno task ingest\` first`,
    );
  }
  return split;
}

/** The metrics logged for a run and stored with a model version (`val_ndcg10` is the gate's). */
export function flatMetrics(e: Evaluation, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [phase, r] of [["val", e.validation], ["test", e.test]] as const) {
    for (const k of ["hr10", "hr20", "ndcg10", "ndcg20", "mrr"] as const) {
      out[`${prefix}${phase}_${k}`] = r[k];
      out[`${prefix}${phase}_${k}_se`] = r.se[k];
    }
  }
  return out;
}

/** Trains, evaluates, registers and gates one model version, tracked as one run. */
export async function trainAndRegister(
  ctx: Context,
  options: {
    params?: Partial<TrainParams>;
    snapshotId?: string;
    codeVersion?: string;
    onEpoch?: (log: EpochLog) => void;
    onStep?: (progress: StepProgress) => void;
    signal?: AbortSignal;
    exitOnSignal?: boolean;
  } = {},
): Promise<TrainRunResult> {
  const p = resolveParams(options.params);
  const split = await loadSplit(ctx);
  const kernel = await ctx.kernel();
  return await withRun(ctx.tracking, async (run) => {
    await run.logParams({
      ...loggedParams(p),
      users: split.users.length,
      items: split.universe.size,
    });
    const trained = await trainRecommender(kernel, split, {
      params: p,
      signal: options.signal,
      onStep: options.onStep,
      onEpoch: async (e) => {
        options.onEpoch?.(e);
        // One metric history per ensemble member, stepped by epoch.
        const m = `member${e.member}_`;
        const values = {
          [`${m}train_loss`]: e.loss,
          [`${m}val_ndcg10`]: e.valNdcg10,
          [`${m}val_hr10`]: e.valHr10,
          [`${m}epoch_seconds`]: e.seconds,
        };
        await run.logMetrics(values, e.epoch);
        await run.heartbeat();
      },
    });
    const model = await evaluateBoth(split, trained.model.scorer());
    const popularity = await evaluateBoth(split, popularityScorer(split));
    const bytes = await trained.model.save(
      { runId: run.id, snapshotId: options.snapshotId ?? null },
      { tables: p.tables },
    );
    const metrics = {
      ...flatMetrics(model),
      ...flatMetrics(popularity, "popularity_"),
      ...Object.fromEntries(trained.bestEpochs.map((b, i) => [`member${i + 1}_best_epoch`, b])),
      train_seconds: trained.seconds,
      checkpoint_bytes: bytes.length,
      served_flop_per_history: trained.model.flopPerHistory(),
    };
    await run.logMetrics(metrics);
    const artifact = await run.logArtifact("model/model.rrck", bytes);
    const version = await ctx.registry.registerVersion(MODEL_NAME, {
      artifact: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
      runId: run.id,
      snapshotId: options.snapshotId,
      metrics,
    });
    const decision = await ctx.registry.promoteIfBetter(MODEL_NAME, version.version);
    await run.setTags({
      model_version: String(version.version),
      promoted: String(decision.promoted),
    });
    return {
      runId: run.id,
      version: version.version,
      decision,
      model,
      popularity,
      params: p,
      epochs: trained.epochs,
      bestEpochs: trained.bestEpochs,
      trainSeconds: trained.seconds,
      users: split.users.length,
      items: split.universe.size,
    };
  }, {
    experiment: "reelrank-train",
    codeVersion: options.codeVersion,
    snapshotId: options.snapshotId,
    exitOnSignal: options.exitOnSignal,
  });
}
