/** The register and promote steps: a tracked run's checkpoint becomes a model version; the gate decides once per version. */
import type { Context } from "../context.ts";
import type { ObjectRef } from "../storage/verified.ts";
import { MODEL_NAME, type ModelVersion, type PromotionDecision } from "./store.ts";

// Per-epoch curves stay with the run; a version carries the run's results.
const EPOCH_METRIC = /^member\d+_(train_loss|val_ndcg10|val_hr10|epoch_seconds)$/;

/**
 * Registers the run's checkpoint as a version of the served model, with the run's final metrics
 * and lineage to the run and the snapshot, and tags the run with the version. Registering the
 * same run and checkpoint again returns the version it already made.
 */
export async function registerRun(
  ctx: Pick<Context, "tracking" | "registry">,
  options: { runId: string; checkpoint: ObjectRef; snapshotId?: string },
): Promise<ModelVersion> {
  const run = await ctx.tracking.getRun(options.runId);
  const metrics = Object.fromEntries(
    Object.entries(run.metrics).filter(([key]) => !EPOCH_METRIC.test(key)),
  );
  const version = await ctx.registry.registerVersion(MODEL_NAME, {
    artifact: options.checkpoint,
    runId: options.runId,
    snapshotId: options.snapshotId ?? run.snapshotId ?? undefined,
    metrics,
    // A family comparison's child runs say their family; a training run trains the MLP.
    family: run.tags.family ?? "mlp",
  });
  await ctx.tracking.setTags(options.runId, { model_version: String(version.version) });
  return version;
}

/** How a new version may reach production. */
export type PromoteMode = "gate";

/**
 * The promote step: the gate's decision for `version` (production only if it beats production's
 * validation NDCG@10), made once — asking again returns the recorded decision. The version's run
 * is tagged with the outcome.
 *
 * `mode` is where other ways of promoting go (e.g. to `staging` for a canary judged online): each
 * is a branch here and a value of the DAG's promote parameter.
 */
export async function promoteVersion(
  ctx: Pick<Context, "tracking" | "registry">,
  version: number,
  options: { mode?: PromoteMode } = {},
): Promise<PromotionDecision> {
  const mode = options.mode ?? "gate";
  const [earlier] = await ctx.registry.listDecisions(MODEL_NAME, { version, limit: 1 });
  const decision = earlier ?? await ctx.registry.promoteIfBetter(MODEL_NAME, version);
  const v = await ctx.registry.getVersion(MODEL_NAME, version);
  if (v.runId) {
    await ctx.tracking.setTags(v.runId, {
      promoted: String(decision.promoted),
      promote_mode: mode,
    });
  }
  return decision;
}
