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

/** Which member to train, with the run's params, and where its epoch logs go. */
export interface MemberJobOptions {
  p: TrainParams;
  /** 1-based member number; its seed follows from it. */
  member: number;
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Trains member `member` in `kernel` until validation NDCG@10 stops improving. */
export async function trainMember(
  kernel: Kernel,
  split: Split,
  options: MemberJobOptions,
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
  // The best `averageTop` epochs by validation NDCG@10, best first.
  let top: { epoch: number; ndcg: number; state: Map<string, Float32Array> }[] = [];
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    const loss = runEpoch(model, split, { p, sampler, signal: options.signal });
    const val = await evaluateRanking(split, model.scorer(), { phase: "validation" });
    const isBest = top.length === 0 || val.ndcg10 > top[0].ndcg;
    if (top.length < p.averageTop || val.ndcg10 > top[top.length - 1].ndcg) {
      top = [...top, { epoch, ndcg: val.ndcg10, state: snapshotState(mlp) }]
        .sort((a, b) => b.ndcg - a.ndcg || a.epoch - b.epoch).slice(0, p.averageTop);
    }
    await options.onEpoch?.({
      member,
      epoch,
      loss,
      valNdcg10: val.ndcg10,
      valHr10: val.hr10,
      seconds: (performance.now() - t0) / 1000,
      best: isBest,
    });
    if (epoch - top[0].epoch >= p.patience) break;
  }
  if (top.length > 1) {
    averageInto(mlp, top.map((t) => t.state));
    recalibrateBatchNorm(model, split, { p, sampler });
    return { config, state: snapshotState(mlp), bestEpoch: top[0].epoch };
  }
  return { config, state: top[0].state, bestEpoch: top[0].epoch };
}

/**
 * Loads the mean of several epochs' parameters (weight averaging along the trajectory, Izmailov
 * et al. 2018: a flatter, better-generalising point than any one epoch).
 */
function averageInto(mlp: Mlp, states: Map<string, Float32Array>[]): void {
  for (const name of mlp.stateNames()) {
    if (!name.startsWith("p:")) continue;
    const out = mlp.view(name);
    out.fill(0);
    for (const st of states) {
      const t = st.get(name)!;
      for (let i = 0; i < out.length; i++) out[i] += t[i] / states.length;
    }
  }
}

/**
 * Averaged weights need their own BatchNorm statistics: reset them and run one epoch of
 * training-mode forwards (no input dropout, no update), whose momentum average forgets the reset.
 */
function recalibrateBatchNorm(
  model: Recommender,
  split: Split,
  ctx: { p: TrainParams; sampler: EpochSampler },
): void {
  const mlp = model.mlp;
  mlp.config.hidden.forEach((_, l) => {
    mlp.view(`runMean${l}`).fill(0);
    mlp.view(`runVar${l}`).fill(1);
  });
  const p = { ...ctx.p, inputDropout: 0, maskHistory: false };
  const examples = sampleExamples(split, { perUser: p.prefixesPerUser, draw: ctx.sampler.draw });
  const work = { position: new Int32Array(model.size).fill(-1) };
  for (let s = 0; s + 1 < examples.length; s += p.batchSize) {
    const rows = examples.slice(s, s + p.batchSize);
    const { batch, candidates } = buildBatch(split, rows, {
      p,
      V: model.size,
      sampler: ctx.sampler,
      work,
    });
    mlp.setBatch(batch);
    mlp.forward("train", candidates);
  }
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
