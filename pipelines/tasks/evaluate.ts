/** evaluate: the trained checkpoint and the popularity baseline, ranked with the one protocol; metrics logged to the run. */
import type { Context } from "../../src/context.ts";
import { evaluateCheckpoint } from "../../src/model/mod.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { readFeatures } from "./features.ts";
import { type EvaluateResult, type FeaturesResult, resultOf, type TrainResult } from "./results.ts";

/** The evaluate task: logging a metric again replaces its value, so a re-run adds no rows. */
export const evaluateTask: TaskSpec<Context> = {
  id: "evaluate",
  description: "evaluate the checkpoint and popularity on validation and test (HR, NDCG, MRR)",
  upstream: ["features", "train"],
  retries: 1,
  timeoutMs: 60 * 60_000,
  async run(ctx, upstream): Promise<EvaluateResult> {
    const f = resultOf<FeaturesResult>(upstream, "features");
    const t = resultOf<TrainResult>(upstream, "train");
    const split = await readFeatures(ctx.deps.objects, f.features);
    const { model, popularity } = await evaluateCheckpoint(ctx.deps, split, {
      runId: t.runId,
      checkpoint: t.checkpoint,
    });
    const result: EvaluateResult = {
      runId: t.runId,
      valNdcg10: model.validation.ndcg10,
      testNdcg10: model.test.ndcg10,
      popularityTestNdcg10: popularity.test.ndcg10,
    };
    ctx.log.info(
      `validation NDCG@10 ${result.valNdcg10.toFixed(4)}, test NDCG@10 ${
        result.testNdcg10.toFixed(4)
      } (popularity ${result.popularityTestNdcg10.toFixed(4)})`,
    );
    return result;
  },
};
