/**
 * Trains the next-item recommender (YouTube-DNN-style candidate generation, Covington et al. 2016):
 * every train prefix of a user predicts the movie that came next. A sampled softmax over
 * popularity-drawn negatives with logQ correction (Bengio & Senécal 2008; Yi et al. 2019) keeps an
 * epoch cheap; movies already in the prefix are masked out of its softmax (they are never the
 * answer, and the evaluation excludes them too); input items are dropped at random; early stopping
 * keeps each member's best epoch on validation NDCG@10; the members are folded into one network.
 */
import { invalid } from "../errors.ts";
import {
  DEFAULT_FEATURES,
  type FeatureSpec,
  inputWidth,
  maxNonZeros,
  validateFeatureSpec,
} from "../features/history_features.ts";
import type { Split } from "../features/split.ts";
import { popularityCounts } from "./baselines.ts";
import { foldMembers, type Member } from "./ensemble.ts";
import { rng } from "./init.ts";
import { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import type { MlpConfig } from "./mlp_config.ts";
import { evaluateRanking } from "./ranking_metrics.ts";
import { INFER_MAX_NNZ, Recommender } from "./recommender.ts";
import { buildBatch, type EpochSampler, negativeSampler, sampleExamples } from "./train_batches.ts";

/** Every hyperparameter of a training run (logged as the run's params). */
export interface TrainParams {
  features: FeatureSpec;
  hidden: number[];
  dropout: number;
  /** Probability of dropping each input entry during training (survivors scaled by 1/(1−p)). */
  inputDropout: number;
  /** Leave the prefix's own movies out of its training softmax. */
  maskHistory: boolean;
  lr: number;
  weightDecay: number;
  batchSize: number;
  /** Negatives drawn per batch for the sampled softmax (0 = full softmax). */
  negatives: number;
  /** Prefixes sampled per user and epoch (heavy users would otherwise dominate). */
  prefixesPerUser: number;
  epochs: number;
  /** Epochs without a better validation NDCG@10 before a member stops. */
  patience: number;
  /** Independently seeded members whose logits are averaged (folded into one network). */
  members: number;
  seed: number;
}

/** The defaults, chosen on validation NDCG@10 of ml-latest-small and not per data set. */
export const DEFAULT_PARAMS: TrainParams = {
  features: DEFAULT_FEATURES,
  hidden: [256],
  dropout: 0.3,
  inputDropout: 0.3,
  maskHistory: true,
  lr: 1e-3,
  weightDecay: 0,
  batchSize: 256,
  negatives: 512,
  prefixesPerUser: 100,
  epochs: 12,
  patience: 3,
  members: 3,
  seed: 1,
};

/** What one epoch of one member did. */
export interface EpochLog {
  member: number;
  epoch: number;
  loss: number;
  valNdcg10: number;
  valHr10: number;
  seconds: number;
  best: boolean;
}

/** The trained model and how it got there. */
export interface TrainResult {
  model: Recommender;
  params: TrainParams;
  epochs: EpochLog[];
  /** Each member's kept epoch. */
  bestEpochs: number[];
  seconds: number;
}

/** The defaults overridden by `params`, checked; throws INVALID_PARAMETER naming a bad value. */
export function resolveParams(params: Partial<TrainParams> = {}): TrainParams {
  const p: TrainParams = { ...DEFAULT_PARAMS, ...params };
  const ints: (keyof TrainParams)[] = [
    "batchSize",
    "prefixesPerUser",
    "epochs",
    "patience",
    "members",
  ];
  for (const k of ints) {
    if (!Number.isInteger(p[k]) || (p[k] as number) < 1) {
      throw invalid(`${k} must be a positive integer, got ${p[k]}`);
    }
  }
  if (!Number.isInteger(p.negatives) || p.negatives < 0) {
    throw invalid(`negatives must be an integer ≥ 0, got ${p.negatives}`);
  }
  if (!(p.lr > 0)) throw invalid(`lr must be positive, got ${p.lr}`);
  if (p.batchSize < 2) throw invalid(`batchSize must be ≥ 2 for BatchNorm, got ${p.batchSize}`);
  for (const k of ["dropout", "inputDropout"] as const) {
    if (!(p[k] >= 0 && p[k] < 1)) throw invalid(`${k} must be in [0, 1), got ${p[k]}`);
  }
  if (!(p.weightDecay >= 0)) throw invalid(`weightDecay must be ≥ 0, got ${p.weightDecay}`);
  if (
    !Array.isArray(p.hidden) || p.hidden.length === 0 ||
    p.hidden.some((h) => !Number.isInteger(h) || h < 1)
  ) {
    throw invalid(`hidden must be a list of positive layer sizes, got ${JSON.stringify(p.hidden)}`);
  }
  validateFeatureSpec(p.features);
  return p;
}

/**
 * Trains on `split`'s train items only (validation picks each member's epoch; test is never
 * looked at). Members train one after another in their own kernel arenas with `kernel`'s thread
 * count; the folded model lives in `kernel`.
 */
export async function trainRecommender(
  kernel: Kernel,
  split: Split,
  options: {
    params?: Partial<TrainParams>;
    onEpoch?: (log: EpochLog) => void | Promise<void>;
    signal?: AbortSignal;
  } = {},
): Promise<TrainResult> {
  const p = resolveParams(options.params);
  const started = performance.now();
  const V = split.universe.size;
  const itemIds = Array.from(split.universe.ids);
  const maxLen = Math.max(1, ...split.users.map((u) => u.trainIndices.length + 1));
  const config: MlpConfig = {
    input: inputWidth(p.features, V),
    sparseInput: true,
    hidden: p.hidden,
    output: V,
    batchNorm: true,
    dropout: p.dropout,
    batchSize: p.batchSize,
    maxNnz: Math.max(INFER_MAX_NNZ, p.batchSize * maxNonZeros(p.features, maxLen)),
    maxCandidates: p.negatives > 0 ? Math.min(V, p.negatives + p.batchSize) : 0,
    adam: { lr: p.lr, weightDecay: p.weightDecay },
  };
  const pop = popularityCounts(split);
  const members: Member[] = [];
  const epochs: EpochLog[] = [];
  const bestEpochs: number[] = [];
  for (let m = 0; m < p.members; m++) {
    const seed = p.seed + m * 1009;
    const scratch = await Kernel.create({ threads: kernel.threads });
    try {
      const mlp = Mlp.create(scratch, { ...config, seed });
      initOutputBias(mlp, pop);
      const model = new Recommender(mlp, { itemIds, features: p.features });
      const sampler: EpochSampler = {
        negatives: negativeSampler(pop, rng(seed * 7919 + 17)),
        draw: rng(seed * 104729 + 3),
      };
      let best = { epoch: 0, ndcg: -1, state: new Map<string, Float32Array>() };
      for (let epoch = 1; epoch <= p.epochs; epoch++) {
        options.signal?.throwIfAborted();
        const t0 = performance.now();
        const loss = runEpoch(model, split, { p, sampler, signal: options.signal });
        const val = await evaluateRanking(split, model.scorer(), { phase: "validation" });
        const isBest = val.ndcg10 > best.ndcg;
        if (isBest) best = { epoch, ndcg: val.ndcg10, state: snapshotState(mlp) };
        const log = {
          member: m + 1,
          epoch,
          loss,
          valNdcg10: val.ndcg10,
          valHr10: val.hr10,
          seconds: (performance.now() - t0) / 1000,
          best: isBest,
        };
        epochs.push(log);
        await options.onEpoch?.(log);
        if (epoch - best.epoch >= p.patience) break;
      }
      members.push({ config: { ...config, seed }, state: best.state });
      bestEpochs.push(best.epoch);
    } finally {
      scratch.close();
    }
  }
  const folded = foldMembers(kernel, members, { batchSize: 256, maxNnz: INFER_MAX_NNZ });
  const model = new Recommender(folded, { itemIds, features: p.features });
  return { model, params: p, epochs, bestEpochs, seconds: (performance.now() - started) / 1000 };
}

// Output biases start at log-popularity: the untrained model already ranks like the baseline.
function initOutputBias(mlp: Mlp, pop: Float32Array): void {
  const bias = mlp.view(`p:b${mlp.config.hidden.length}`);
  let total = 0;
  for (const c of pop) total += c;
  const norm = Math.log(total + pop.length);
  for (let i = 0; i < pop.length; i++) bias[i] = Math.log(pop[i] + 1) - norm;
}

// One pass over a fresh sample of prefixes; returns the mean batch loss.
function runEpoch(
  model: Recommender,
  split: Split,
  ctx: { p: TrainParams; sampler: EpochSampler; signal?: AbortSignal },
): number {
  const { p, sampler } = ctx;
  const examples = sampleExamples(split, { perUser: p.prefixesPerUser, draw: sampler.draw });
  const work = { position: new Int32Array(model.size).fill(-1) };
  let total = 0;
  let steps = 0;
  for (let s = 0; s + 1 < examples.length; s += p.batchSize) {
    ctx.signal?.throwIfAborted();
    const rows = examples.slice(s, s + p.batchSize);
    const { batch, candidates } = buildBatch(split, rows, { p, V: model.size, sampler, work });
    total += model.mlp.trainStep(batch, candidates);
    steps++;
  }
  return total / Math.max(1, steps);
}

function snapshotState(mlp: Mlp): Map<string, Float32Array> {
  return new Map(mlp.stateNames().map((name) => [name, mlp.view(name).slice()]));
}
