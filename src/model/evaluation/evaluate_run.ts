/** The evaluate step: a run's checkpoint (any family), loaded by key and verified, and popularity, ranked with one protocol; metrics logged to the run. */
import type { Context } from "../../context.ts";
import type { Split } from "../../features/split.ts";
import { type ObjectRef, readVerified } from "../../storage/verified.ts";
import { openModel } from "../families/open.ts";
import { popularityScorer } from "./baselines.ts";
import { modelScorer } from "./evaluate_model.ts";
import { evaluateBoth, type PhaseReport } from "./ranking_metrics.ts";

/** Validation and test reports of one scorer. */
export interface Evaluation {
  validation: PhaseReport;
  test: PhaseReport;
}

/** What the evaluate step measured, and the flat metrics it logged. */
export interface EvaluateStepResult {
  model: Evaluation;
  popularity: Evaluation;
  metrics: Record<string, number>;
}

/** The metrics of one evaluation, flat: `val_ndcg10`, `test_hr10_se`, … with an optional prefix. */
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

/**
 * Loads the checkpoint (size and sha256 checked) into a kernel of its own, evaluates it and the
 * popularity baseline on `split` per shared/EVALUATION.md, and logs the metrics to `runId` (a
 * metric logged again replaces its value, so a re-run adds nothing).
 */
export async function evaluateCheckpoint(
  ctx: Pick<Context, "objects" | "tracking" | "config">,
  split: Split,
  options: { runId: string; checkpoint: ObjectRef },
): Promise<EvaluateStepResult> {
  const bytes = await readVerified(ctx.objects, options.checkpoint, {
    what: `checkpoint "${options.checkpoint.key}" of run "${options.runId}"`,
  });
  const recommender = await openModel(bytes, { threads: ctx.config.threads });
  let model: Evaluation;
  try {
    model = await evaluateBoth(split, modelScorer(recommender, split.universe));
  } finally {
    recommender.close();
  }
  const popularity = await evaluateBoth(split, popularityScorer(split));
  const metrics = { ...flatMetrics(model), ...flatMetrics(popularity, "popularity_") };
  await ctx.tracking.logMetrics(
    options.runId,
    Object.entries(metrics).map(([key, value]) => ({ key, value })),
  );
  return { model, popularity, metrics };
}
