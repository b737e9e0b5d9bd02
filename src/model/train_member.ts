/** Trains one ensemble member with early stopping on validation NDCG@10 and returns its best state. */
import { inputWidth, maxNonZeros } from "../features/history_features.ts";
import type { Split } from "../features/split.ts";
import { popularityCounts } from "./baselines.ts";
import { rng } from "./init.ts";
import type { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import type { MlpConfig } from "./mlp_config.ts";
import { evaluateRanking } from "./ranking_metrics.ts";
import { INFER_MAX_NNZ, Recommender } from "./recommender.ts";
import type { EpochLog, TrainParams } from "./train.ts";
import { buildBatch, type EpochSampler, negativeSampler, sampleExamples } from "./train_batches.ts";

/** A trained member: the config it was built with and its best epoch's tensors. */
export interface MemberResult {
  config: MlpConfig;
  state: Map<string, Float32Array>;
  bestEpoch: number;
}

/** The Mlp config every member of a run shares (the seed is set per member). */
export function memberConfig(split: Split, p: TrainParams): MlpConfig {
  const V = split.universe.size;
  const maxLen = Math.max(1, ...split.users.map((u) => u.trainIndices.length + 1));
  return {
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
}

/** Member `member` (1-based) of a run: its seed follows from the run's seed. */
export function memberSeed(p: TrainParams, member: number): number {
  return p.seed + (member - 1) * 1009;
}

/** Trains member `member` in `kernel` until validation NDCG@10 stops improving. */
export async function trainMember(
  kernel: Kernel,
  split: Split,
  options: {
    p: TrainParams;
    member: number;
    onEpoch?: (log: EpochLog) => void | Promise<void>;
    signal?: AbortSignal;
  },
): Promise<MemberResult> {
  const { p, member } = options;
  const seed = memberSeed(p, member);
  const config = { ...memberConfig(split, p), seed };
  const mlp = Mlp.create(kernel, config);
  const pop = popularityCounts(split);
  initOutputBias(mlp, pop);
  const model = new Recommender(mlp, {
    itemIds: Array.from(split.universe.ids),
    features: p.features,
  });
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
    await options.onEpoch?.({
      member,
      epoch,
      loss,
      valNdcg10: val.ndcg10,
      valHr10: val.hr10,
      seconds: (performance.now() - t0) / 1000,
      best: isBest,
    });
    if (epoch - best.epoch >= p.patience) break;
  }
  return { config, state: best.state, bestEpoch: best.epoch };
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
