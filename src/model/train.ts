/**
 * Trains the next-item recommender (YouTube-DNN-style candidate generation, Covington et al. 2016):
 * every train prefix of a user predicts the movie that came next, a sampled softmax with logQ
 * correction (Bengio & Senécal 2008; Yi et al. 2019) over popularity-drawn negatives keeps an
 * epoch cheap, and early stopping keeps the epoch with the best validation NDCG@10.
 */
import { invalid } from "../errors.ts";
import {
  CsrBuilder,
  DEFAULT_FEATURES,
  encodeHistory,
  type FeatureSpec,
  inputWidth,
  maxNonZeros,
  validateFeatureSpec,
} from "../features/history_features.ts";
import type { Split } from "../features/split.ts";
import { popularityCounts } from "./baselines.ts";
import { rng } from "./init.ts";
import type { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import { evaluateRanking } from "./ranking_metrics.ts";
import { Recommender } from "./recommender.ts";

/** Every hyperparameter of a training run (logged as the run's params). */
export interface TrainParams {
  features: FeatureSpec;
  hidden: number[];
  dropout: number;
  lr: number;
  weightDecay: number;
  batchSize: number;
  /** Negatives drawn per batch for the sampled softmax (0 = full softmax). */
  negatives: number;
  /** Prefixes sampled per user and epoch (heavy users would otherwise dominate). */
  prefixesPerUser: number;
  epochs: number;
  /** Epochs without a better validation NDCG@10 before stopping. */
  patience: number;
  seed: number;
}

/** The defaults, chosen on validation NDCG@10 of ml-latest-small and not per data set. */
export const DEFAULT_PARAMS: TrainParams = {
  features: DEFAULT_FEATURES,
  hidden: [256],
  dropout: 0.3,
  lr: 1e-3,
  weightDecay: 0,
  batchSize: 256,
  negatives: 2048,
  prefixesPerUser: 100,
  epochs: 12,
  patience: 3,
  seed: 1,
};

/** What one epoch did. */
export interface EpochLog {
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
  bestEpoch: number;
  seconds: number;
}

/** Trains on `split`'s train items only; validation picks the epoch, test is never looked at. */
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
  const maxLen = Math.max(1, ...split.users.map((u) => u.trainIndices.length + 1));
  const mlp = Mlp.create(kernel, {
    input: inputWidth(p.features, V),
    sparseInput: true,
    hidden: p.hidden,
    output: V,
    batchNorm: true,
    dropout: p.dropout,
    batchSize: p.batchSize,
    maxNnz: Math.max(1 << 16, p.batchSize * maxNonZeros(p.features, maxLen)),
    maxCandidates: p.negatives > 0 ? Math.min(V, p.negatives + p.batchSize) : 0,
    seed: p.seed,
    adam: { lr: p.lr, weightDecay: p.weightDecay },
  });
  const model = new Recommender(mlp, {
    itemIds: Array.from(split.universe.ids),
    features: p.features,
  });
  const pop = popularityCounts(split);
  initOutputBias(mlp, pop);
  const sampler = negativeSampler(pop, rng(p.seed * 7919 + 17));
  const draw = rng(p.seed * 104729 + 3);

  const epochs: EpochLog[] = [];
  let best = { epoch: 0, ndcg: -1, state: new Map<string, Float32Array>() };
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    const loss = runEpoch(model, split, { p, sampler, draw, signal: options.signal });
    const val = await evaluateRanking(split, model.scorer(), { phase: "validation" });
    const isBest = val.ndcg10 > best.ndcg;
    if (isBest) best = { epoch, ndcg: val.ndcg10, state: snapshotState(mlp) };
    const log = {
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
  for (const [name, values] of best.state) mlp.view(name).set(values);
  return {
    model,
    params: p,
    epochs,
    bestEpoch: best.epoch,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The defaults overridden by `params`, checked; throws INVALID_PARAMETER naming a bad value. */
export function resolveParams(params: Partial<TrainParams> = {}): TrainParams {
  const p: TrainParams = { ...DEFAULT_PARAMS, ...params };
  checkParams(p);
  return p;
}

function checkParams(p: TrainParams): void {
  const ints: (keyof TrainParams)[] = ["batchSize", "prefixesPerUser", "epochs", "patience"];
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
  if (!(p.dropout >= 0 && p.dropout < 1)) {
    throw invalid(`dropout must be in [0, 1), got ${p.dropout}`);
  }
  if (!(p.weightDecay >= 0)) throw invalid(`weightDecay must be ≥ 0, got ${p.weightDecay}`);
  if (
    !Array.isArray(p.hidden) || p.hidden.length === 0 ||
    p.hidden.some((h) => !Number.isInteger(h) || h < 1)
  ) {
    throw invalid(`hidden must be a list of positive layer sizes, got ${JSON.stringify(p.hidden)}`);
  }
  validateFeatureSpec(p.features);
}

// Output biases start at log-popularity: the untrained model already ranks like the baseline.
function initOutputBias(mlp: Mlp, pop: Float32Array): void {
  const bias = mlp.view(`p:b${mlp.config.hidden.length}`);
  let total = 0;
  for (const c of pop) total += c;
  const norm = Math.log(total + pop.length);
  for (let i = 0; i < pop.length; i++) bias[i] = Math.log(pop[i] + 1) - norm;
}

interface Sampler {
  /** Draws `n` item indices with probability q ∝ popularity. */
  draw(n: number, out: Int32Array): void;
  /** log q of each item. */
  logQ: Float32Array;
}

// Inverse-CDF sampling over smoothed popularity (q ∝ count + 1, so every item can be a negative).
function negativeSampler(pop: Float32Array, next: () => number): Sampler {
  const cdf = new Float64Array(pop.length);
  let acc = 0;
  for (let i = 0; i < pop.length; i++) cdf[i] = acc += pop[i] + 1;
  const logQ = Float32Array.from(pop, (c) => Math.log((c + 1) / acc));
  return {
    logQ,
    draw(n, out) {
      for (let k = 0; k < n; k++) {
        const u = next() * acc;
        let lo = 0;
        let hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        out[k] = lo;
      }
    },
  };
}

// One pass over a fresh sample of prefixes; returns the mean batch loss.
function runEpoch(
  model: Recommender,
  split: Split,
  ctx: { p: TrainParams; sampler: Sampler; draw: () => number; signal?: AbortSignal },
): number {
  const { p, sampler, draw } = ctx;
  const examples: { user: number; length: number }[] = [];
  split.users.forEach((u, k) => {
    const n = u.trainIndices.length;
    const positions = Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1);
    shuffle(positions, draw);
    for (const t of positions.slice(0, p.prefixesPerUser)) examples.push({ user: k, length: t });
  });
  shuffle(examples, draw);
  const V = model.size;
  const position = new Int32Array(V).fill(-1);
  const negatives = new Int32Array(p.negatives);
  let total = 0;
  let steps = 0;
  for (let s = 0; s + 1 < examples.length; s += p.batchSize) {
    ctx.signal?.throwIfAborted();
    const batch = examples.slice(s, s + p.batchSize);
    const csr = new CsrBuilder();
    const targets = new Int32Array(batch.length);
    batch.forEach((e, r) => {
      const items = split.users[e.user].trainIndices;
      encodeHistory(items, p.features, { V, out: csr, length: e.length });
      targets[r] = items[e.length];
    });
    const rows = csr.build();
    if (p.negatives === 0) {
      total += model.mlp.trainStep({ ...rows, labels: targets });
    } else {
      const cands: number[] = [];
      const add = (i: number) => {
        if (position[i] < 0) position[i] = cands.push(i) - 1;
      };
      targets.forEach(add);
      sampler.draw(p.negatives, negatives);
      negatives.forEach(add);
      const candidates = Int32Array.from(cands);
      const labels = targets.map((t) => position[t]);
      const correction = Float32Array.from(candidates, (c) => -sampler.logQ[c]);
      total += model.mlp.trainStep({ ...rows, labels }, { candidates, correction });
      for (const c of cands) position[c] = -1;
    }
    steps++;
  }
  return total / Math.max(1, steps);
}

function shuffle<T>(a: T[], next: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

function snapshotState(mlp: Mlp): Map<string, Float32Array> {
  return new Map(mlp.stateNames().map((name) => [name, mlp.view(name).slice()]));
}
