/**
 * The `recommend` DAG: new data to a published model. ingest → snapshot → features → train →
 * evaluate → register → promote → publish; evaluate also reads the features' split and register
 * the train task's checkpoint.
 */
import type { Context } from "../src/context.ts";
import { type Dag, defineDag } from "../src/pipeline/dag.ts";
import { RECOMMEND_PARAMS } from "./recommend_params.ts";
import { evaluateTask } from "./tasks/evaluate.ts";
import { featuresTask } from "./tasks/features.ts";
import { ingestTask } from "./tasks/ingest.ts";
import { promoteTask } from "./tasks/promote.ts";
import { publishTask } from "./tasks/publish.ts";
import { registerTask } from "./tasks/register.ts";
import { snapshotTask } from "./tasks/snapshot.ts";
import { trainTask } from "./tasks/train.ts";

/** The DAG's id. */
export const RECOMMEND_DAG = "recommend";

/** The recommendation pipeline. */
export const recommendDag: Dag<Context> = defineDag({
  id: RECOMMEND_DAG,
  description: "ingest new data, train and evaluate a model, register it, promote it through the " +
    "gate and publish batch recommendations",
  params: RECOMMEND_PARAMS,
  tasks: [
    ingestTask,
    snapshotTask,
    featuresTask,
    trainTask,
    evaluateTask,
    registerTask,
    promoteTask,
    publishTask,
  ],
});

/** Every DAG reelrank runs. */
export const DAGS: readonly Dag<Context>[] = [recommendDag];
