/** train: the `families` trained on the features' split as child runs of one parent run (trainFamilies); the best one's checkpoint goes downstream. */
import { gitCommit } from "../../src/cli/lineage.ts";
import type { Context } from "../../src/context.ts";
import { sha256Hex } from "../../src/digest.ts";
import { invalid } from "../../src/errors.ts";
import {
  CHECKPOINT_PATH,
  type ChildSummary,
  resolveParams,
  trainFamilies,
} from "../../src/model/mod.ts";
import type { TaskContext, TaskSpec } from "../../src/pipeline/dag.ts";
import { trainingValues } from "../../src/pipeline/params.ts";
import { RECOMMEND_PARAMS } from "../recommend_params.ts";
import { readFeatures } from "./features.ts";
import { type FeaturesResult, resultOf, type TrainChild, type TrainResult } from "./results.ts";

/** What the train task reads from the run's parameters. */
function trainParams(params: TaskContext<Context>["params"]) {
  const families = String(params.families).split(",");
  const configs = Number(params.search);
  if (configs > 0 && !families.includes("mlp")) {
    throw invalid(
      `parameter search (${configs}) searches the MLP, but families is "${params.families}": ` +
        "add mlp to families or set search to 0",
    );
  }
  const search = configs > 0 ? { configs, budgetEase: Number(params["search-budget"]) } : undefined;
  return { families, search, params: resolveParams(trainingValues(RECOMMEND_PARAMS, params)) };
}

const short = (c: ChildSummary): TrainChild => ({
  family: c.family,
  runId: c.runId,
  status: c.status,
  ...(c.valNdcg10 === undefined ? {} : { valNdcg10: c.valNdcg10 }),
  ...(c.reason === undefined ? {} : { reason: c.reason }),
});

/**
 * The train task. The parent run's id is made of the pipeline run's key, the train parameters and
 * the features' sha256, and is tagged with that key: a finished parent with that key is reused, so
 * a retried task or a re-run for the same date, data and parameters trains nothing again.
 * Registering and the gate are left to the register and promote tasks.
 */
export const trainTask: TaskSpec<Context> = {
  id: "train",
  description: "train each model family as a child run (early stopping / grids on validation " +
    "NDCG@10) and keep the best as the candidate",
  upstream: ["features"],
  retries: 1,
  timeoutMs: 3 * 60 * 60_000,
  async run(ctx, upstream): Promise<TrainResult> {
    const f = resultOf<FeaturesResult>(upstream, "features");
    const t = trainParams(ctx.params);
    const digest = await sha256Hex(JSON.stringify([t, f.features.sha256]));
    const key = `${ctx.key}-train-${digest.slice(0, 12)}`;
    const reused = await reuse(ctx, key);
    if (reused) return reused;
    const split = await readFeatures(ctx.deps.objects, f.features);
    const suffix = (await sha256Hex(`${ctx.runId}/${ctx.attempt}`)).slice(0, 6);
    const r = await trainFamilies(ctx.deps, {
      ...t,
      split,
      snapshotId: f.snapshotId,
      codeVersion: await gitCommit(),
      runId: `${key}-${suffix}`,
      tags: { pipeline_key: key, pipeline_run: ctx.runId },
      register: false,
      signal: ctx.signal,
      onChild: (c) =>
        ctx.log.info(
          `${c.family} (run ${c.runId}): ${c.status}${
            c.status === "trained"
              ? `, validation NDCG@10 ${c.valNdcg10!.toFixed(4)} in ${c.trainSeconds!.toFixed(1)} s`
              : `: ${c.reason}`
          }`,
        ),
      onEpoch: (e) =>
        ctx.log.info(
          `member ${e.member} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, validation NDCG@10 ${
            e.valNdcg10.toFixed(4)
          } (${e.seconds.toFixed(1)} s)${e.best ? ", best so far" : ""}`,
        ),
    }).finally(() => ctx.deps.releaseKernel());
    if (r.search?.stopped) ctx.log.info(`MLP search stopped early: ${r.search.stopped}`);
    if (r.search?.skipped) ctx.log.warn(r.search.skipped);
    ctx.log.info(
      `run ${r.runId}: the best on validation NDCG@10 is ${r.best.family} (run ${r.best.runId}, ` +
        `${r.best.valNdcg10!.toFixed(4)}), checkpoint ${r.checkpoint.size} bytes`,
    );
    return {
      runId: r.best.runId,
      checkpoint: r.checkpoint,
      reused: false,
      trainSeconds: r.best.trainSeconds ?? 0,
      comparisonRunId: r.runId,
      family: r.best.family,
      children: r.children.map(short),
      ...(r.search ? { search: { ...r.search } } : {}),
    };
  },
};

// The result of a finished parent run tagged with `key`, or null when there is none.
async function reuse(ctx: TaskContext<Context>, key: string): Promise<TrainResult | null> {
  const { tracking } = ctx.deps;
  const [done] = (await tracking.searchRuns({
    filter: { tags: { pipeline_key: key }, status: "finished" },
    limit: 1,
  })).items;
  const bestRun = done?.tags.best_run;
  if (!bestRun) return null;
  const artifact = (await tracking.listArtifacts(bestRun)).find((a) => a.path === CHECKPOINT_PATH);
  if (!artifact) return null;
  const children = (await tracking.searchRuns({
    filter: { parentRunId: done.id },
    orderBy: { field: "start_time", direction: "asc" },
    limit: 100,
  })).items;
  const best = await tracking.getRun(bestRun);
  ctx.log.info(`run ${done.id} already trained this (key ${key}); reusing it`);
  return {
    runId: bestRun,
    checkpoint: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
    reused: true,
    trainSeconds: best.metrics.train_seconds ?? 0,
    comparisonRunId: done.id,
    family: best.tags.family ?? "mlp",
    children: children.map((c) => ({
      family: c.tags.family ?? c.params.family ?? "?",
      runId: c.id,
      status: c.tags.skipped === "true"
        ? "skipped"
        : c.status === "finished"
        ? "trained"
        : "failed",
      ...(c.metrics.val_ndcg10 === undefined ? {} : { valNdcg10: c.metrics.val_ndcg10 }),
    })),
  };
}
