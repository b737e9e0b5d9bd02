/** train: the recommender trained on the features' split as a tracked run; its checkpoint goes to the object store. */
import { gitCommit } from "../../src/cli/lineage.ts";
import type { Context } from "../../src/context.ts";
import { sha256Hex } from "../../src/digest.ts";
import { CHECKPOINT_PATH, resolveParams, trainTracked } from "../../src/model/mod.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { trainingValues } from "../../src/pipeline/params.ts";
import { RECOMMEND_PARAMS } from "../recommend_params.ts";
import { readFeatures } from "./features.ts";
import { type FeaturesResult, resultOf, type TrainResult } from "./results.ts";

/**
 * The train task. Its tracked run is tagged with a key made of the pipeline run's key, the
 * training parameters and the features' sha256: a finished run with that key is reused, so a
 * retried task or a re-run for the same date, data and parameters trains nothing again.
 */
export const trainTask: TaskSpec<Context> = {
  id: "train",
  description: "train the recommender (early stopping on validation NDCG@10), tracked as a run",
  upstream: ["features"],
  retries: 1,
  timeoutMs: 3 * 60 * 60_000,
  async run(ctx, upstream): Promise<TrainResult> {
    const f = resultOf<FeaturesResult>(upstream, "features");
    const params = resolveParams(trainingValues(RECOMMEND_PARAMS, ctx.params));
    const digest = await sha256Hex(JSON.stringify([params, f.features.sha256]));
    const key = `${ctx.key}-train-${digest.slice(0, 12)}`;
    const { tracking } = ctx.deps;
    const [done] = (await tracking.searchRuns({
      filter: { tags: { pipeline_key: key }, status: "finished" },
      limit: 1,
    })).items;
    const artifact = done &&
      (await tracking.listArtifacts(done.id)).find((a) => a.path === CHECKPOINT_PATH);
    if (done && artifact) {
      ctx.log.info(`run ${done.id} already trained this (key ${key}); reusing it`);
      return {
        runId: done.id,
        checkpoint: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
        reused: true,
        trainSeconds: done.metrics.train_seconds ?? 0,
      };
    }
    const split = await readFeatures(ctx.deps.objects, f.features);
    const suffix = (await sha256Hex(`${ctx.runId}/${ctx.attempt}`)).slice(0, 6);
    const trained = await trainTracked(ctx.deps, split, {
      params,
      snapshotId: f.snapshotId,
      codeVersion: await gitCommit(),
      runId: `${key}-${suffix}`,
      tags: { pipeline_key: key, pipeline_run: ctx.runId },
      signal: ctx.signal,
      onEpoch: (e) =>
        ctx.log.info(
          `member ${e.member} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, validation NDCG@10 ${
            e.valNdcg10.toFixed(4)
          } (${e.seconds.toFixed(1)} s)${e.best ? ", best so far" : ""}`,
        ),
    });
    // The next task loads the checkpoint in a kernel of its own; this one's arena is not needed.
    await ctx.deps.releaseKernel();
    ctx.log.info(
      `run ${trained.runId}: trained in ${trained.trainSeconds.toFixed(1)} s, best epochs ${
        trained.bestEpochs.join(", ")
      }, checkpoint ${trained.checkpoint.size} bytes`,
    );
    return {
      runId: trained.runId,
      checkpoint: trained.checkpoint,
      reused: false,
      trainSeconds: trained.trainSeconds,
    };
  },
};
