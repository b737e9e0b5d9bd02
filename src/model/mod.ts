/**
 * The model package's public face: what the serving, API, pipeline and CLI layers may import.
 * Everything else under src/model is internal and may move.
 */
export { Kernel, type KernelOptions } from "./kernel.ts";
export {
  Recommender,
  type RecommenderManifest,
  type RecommendRequest,
  type Scored,
} from "./recommender.ts";
export {
  DEFAULT_PARAMS,
  type EpochLog,
  resolveParams,
  type TrainParams,
  type TrainResult,
} from "./train.ts";
export {
  type Evaluation,
  flatMetrics,
  loadSplit,
  trainAndRegister,
  type TrainRunResult,
} from "./train_run.ts";
export { evaluateBoth, type PhaseReport, type RankingMetrics } from "./ranking_metrics.ts";
export { popularityScorer } from "./baselines.ts";
export { exportTopK, modelScorer } from "./evaluate_model.ts";
