/**
 * A tracked training run, as steps the pipeline's tasks wrap one each: split the stored
 * interactions, train (a tracked run whose checkpoint goes to the object store), evaluate the
 * checkpoint and the popularity baseline with one protocol, register the version, apply the gate.
 * `trainAndRegister` runs them all in a row for `deno task train`.
 */
import type { Context } from "../../context.ts";
import { loadInteractions } from "../../data/queries.ts";
import { invalid } from "../../errors.ts";
import { type Split, splitInteractions } from "../../features/split.ts";
import { promoteVersion, registerRun } from "../../registry/register_run.ts";
import type { PromotionDecision } from "../../registry/store.ts";
import type { ObjectRef } from "../../storage/verified.ts";
import { type ActiveRun, withRun, type WithRunOptions } from "../../tracking/run.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { Evaluation } from "../evaluation/evaluate_run.ts";
import { evaluateCheckpoint } from "../evaluation/evaluate_run.ts";
import { loggedParams, resolveParams, type TrainParams } from "./hyperparams.ts";
import type { EpochLog, StepProgress } from "./member.ts";
import { trainRecommender } from "./train.ts";

export { type Evaluation, flatMetrics } from "../evaluation/evaluate_run.ts";

/** Where a training run's checkpoint is kept, among its artifacts. */
export const CHECKPOINT_PATH = "model/model.rrck";

/** What a training run produced: the trained run, its evaluation and the gate's decision. */
export interface TrainRunResult extends Omit<TrainStepResult, "checkpoint"> {
  version: number;
  decision: PromotionDecision;
  model: Evaluation;
  popularity: Evaluation;
}

/** Loads every stored interaction and applies the leave-last-two-out split. */
export async function loadSplit(ctx: Pick<Context, "db">): Promise<Split> {
  const rows = await loadInteractions(ctx.db);
  return checkedSplit(
    splitInteractions({ users: rows.user, items: rows.movie, timestamps: rows.ts }),
  );
}

/** `split`, or INVALID_PARAMETER saying to ingest when it is too small to train on. */
export function checkedSplit(split: Split): Split {
  if (split.users.length < 2 || split.universe.size < 2) {
    throw invalid(
      `not enough data to train: ${split.users.length} users with ≥ 3 interactions and ${split.universe.size} movies; run \`deno task ingest\` first`,
    );
  }
  return split;
}

/** What the train step produced: the tracked run and its checkpoint in the object store. */
export interface TrainStepResult {
  runId: string;
  checkpoint: ObjectRef;
  params: TrainParams;
  epochs: EpochLog[];
  bestEpochs: number[];
  /** The transition term's weight, chosen on validation (0 = the network alone). */
  transitionWeight: number;
  trainSeconds: number;
  users: number;
  items: number;
}

/** Options of {@link trainTracked}. */
export interface TrainStepOptions {
  params?: Partial<TrainParams>;
  snapshotId?: string;
  codeVersion?: string;
  /** The tracked run's id (a pipeline derives it from its idempotency key); random by default. */
  runId?: string;
  tags?: Record<string, string>;
  onEpoch?: (log: EpochLog) => void;
  onStep?: (progress: StepProgress) => void;
  signal?: AbortSignal;
  exitOnSignal?: boolean;
}

/**
 * The train step: a tracked run that logs the params and every member's epochs, trains on the
 * split's train items (validation picks the epochs; test is never looked at) and stores the
 * checkpoint as the run's artifact. The run is finished when this resolves.
 */
export async function trainTracked(
  ctx: Pick<Context, "tracking" | "kernel">,
  split: Split,
  options: TrainStepOptions = {},
): Promise<TrainStepResult> {
  const p = resolveParams(options.params);
  const kernel = await ctx.kernel();
  return await withRun(
    ctx.tracking,
    (run) => trainInRun(run, { kernel, split, p, options }),
    runOptions(options),
  );
}

/**
 * Trains, evaluates, registers and gates one model version: every step in a row, inside one
 * tracked run that ends finished only when the gate has decided (failed, or left running by a
 * killed process, when any step does not complete).
 */
export async function trainAndRegister(
  ctx: Context,
  options: Omit<TrainStepOptions, "runId" | "tags"> = {},
): Promise<TrainRunResult> {
  const p = resolveParams(options.params);
  const split = await loadSplit(ctx);
  const kernel = await ctx.kernel();
  return await withRun(ctx.tracking, async (run) => {
    const { checkpoint, ...trained } = await trainInRun(run, { kernel, split, p, options });
    const evaluated = await evaluateCheckpoint(ctx, split, { runId: run.id, checkpoint });
    const version = await registerRun(ctx, {
      runId: run.id,
      checkpoint,
      snapshotId: options.snapshotId,
    });
    const decision = await promoteVersion(ctx, version.version);
    return {
      ...trained,
      version: version.version,
      decision,
      model: evaluated.model,
      popularity: evaluated.popularity,
    };
  }, runOptions(options));
}

function runOptions(options: TrainStepOptions): WithRunOptions {
  return {
    experiment: "reelrank-train",
    id: options.runId,
    codeVersion: options.codeVersion,
    snapshotId: options.snapshotId,
    tags: options.tags,
    exitOnSignal: options.exitOnSignal,
  };
}

// Logs the params and every member's epochs to `run`, trains, and stores the checkpoint.
async function trainInRun(
  run: ActiveRun,
  job: { kernel: Kernel; split: Split; p: TrainParams; options: TrainStepOptions },
): Promise<TrainStepResult> {
  const { kernel, split, p, options } = job;
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
  const bytes = await trained.model.save(
    { runId: run.id, snapshotId: options.snapshotId ?? null },
    { tables: p.tables },
  );
  await run.logMetrics({
    ...Object.fromEntries(trained.bestEpochs.map((b, i) => [`member${i + 1}_best_epoch`, b])),
    train_seconds: trained.seconds,
    transition_weight: trained.transitionWeight,
    checkpoint_bytes: bytes.length,
    served_flop_per_history: trained.model.flopPerHistory(),
  });
  const artifact = await run.logArtifact(CHECKPOINT_PATH, bytes);
  return {
    runId: run.id,
    checkpoint: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
    params: p,
    epochs: trained.epochs,
    bestEpochs: trained.bestEpochs,
    transitionWeight: trained.transitionWeight,
    trainSeconds: trained.seconds,
    users: split.users.length,
    items: split.universe.size,
  };
}
