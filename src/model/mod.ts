/**
 * The model package's public face: what the serving, API, pipeline and CLI layers may import.
 * Everything else under src/model is internal and may move.
 */
export { Kernel, type KernelOptions } from "./kernel/kernel.ts";
export { Recommender, type RecommenderManifest } from "./recommender.ts";
export type { Because, RecommendRequest, Scored } from "./types.ts";
export {
  checkParam,
  DEFAULT_PARAMS,
  flagName,
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
  valueFromText,
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
export { type BeyondAccuracy } from "./evaluation/beyond_accuracy.ts";
export {
  beyondMetrics,
  evaluateFull,
  type FullEvaluation,
  LIST_K,
  strictlyLaterUsers,
} from "./evaluation/report.ts";
export { FAMILIES, type Family, type RecommenderModel } from "./model.ts";
export { checkpointFamily } from "./families/checkpoint.ts";
export { loadModelInto, openModel, type OpenOptions } from "./families/open.ts";
export { EASE_LAMBDAS, easeMaxItems, EaseModel, trainEase } from "./families/ease.ts";
export { KNN_KS, KnnModel, trainItemKnn } from "./families/itemknn.ts";
export type { Candidate, FamilyFit } from "./families/select.ts";
export {
  type ChildSummary,
  parseFamilies,
  SEARCH_DEFAULTS,
  trainFamilies,
  type TrainFamiliesOptions,
  type TrainFamiliesResult,
} from "./families/train_families.ts";
export { exportTopK, modelScorer } from "./evaluation/evaluate_model.ts";
