/**
 * The model package's public face: what the serving, API, pipeline and CLI layers may import.
 * Everything else under src/model is internal and may move.
 */
export { Kernel, type KernelOptions } from "./kernel/kernel.ts";
export {
  type Because,
  Recommender,
  type RecommenderManifest,
  type RecommendRequest,
  type Scored,
} from "./recommender.ts";
export {
  checkParam,
  DEFAULT_PARAMS,
  flagOf,
  HYPERPARAMS,
  loggedParams,
  PARAM_NAMES,
  type ParamName,
  paramsHelp,
  type ParamSpec,
  parseParam,
  resolveParams,
  type TrainParams,
} from "./training/hyperparams.ts";
export type { EpochLog, StepProgress } from "./training/member.ts";
export { trainRecommender, type TrainResult } from "./training/train.ts";
export {
  checkedSplit,
  CHECKPOINT_PATH,
  type Evaluation,
  flatMetrics,
  loadSplit,
  trainAndRegister,
  type TrainRunResult,
  type TrainStepOptions,
  type TrainStepResult,
  trainTracked,
} from "./training/run.ts";
export { evaluateCheckpoint, type EvaluateStepResult } from "./evaluation/evaluate_run.ts";
export {
  evaluateBoth,
  evaluateRanking,
  type PhaseReport,
  type RankingMetrics,
} from "./evaluation/ranking_metrics.ts";
export { popularityScorer } from "./evaluation/baselines.ts";
export { exportTopK, modelScorer } from "./evaluation/evaluate_model.ts";
