/**
 * The training loop — the only one: trains one ensemble member on a split's train prefixes with
 * early stopping on validation NDCG@10, and returns the mean of its best epochs' weights with
 * BatchNorm statistics recomputed for them.
 */
import { maxNonZeros } from "../../features/history_features.ts";
import type { Split } from "../../features/split.ts";
import { hashSeed, Prng } from "../../random.ts";
import { popularityCounts } from "../evaluation/baselines.ts";
import { evaluateRanking } from "../evaluation/ranking_metrics.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { NetConfig } from "../network/config.ts";
import { Net } from "../network/net.ts";
import { INFER_MAX_NNZ, Recommender } from "../recommender.ts";
import { BatchBuilder, type Examples, negativeSampler, sampleExamples } from "./batches.ts";
import { effectiveProjection, type TrainParams } from "./hyperparams.ts";

/** What one epoch of one member did. */
export interface EpochLog {
  member: number;
  epoch: number;
  loss: number;
  valNdcg10: number;
  valHr10: number;
  seconds: number;
  best: boolean;
  /** This was the member's last epoch (early stopping or the epoch limit). */
  last: boolean;
}

/** Progress inside an epoch: `step` of `steps` batches done. */
export interface StepProgress {
  member: number;
  epoch: number;
  step: number;
  steps: number;
}

/** A trained member: the config it was built with and its final tensors. */
export interface MemberResult {
  config: NetConfig;
  state: Map<string, Float32Array>;
  bestEpoch: number;
}

/** Which member to train, with the run's params, and where its logs go. */
export interface MemberJobOptions {
  p: TrainParams;
  /** 1-based member number; its seed follows from the run's seed and it. */
  member: number;
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  onStep?: (progress: StepProgress) => void;
  signal?: AbortSignal;
}

/** The network config every member of a run shares (the seed is set per member). */
export function memberConfig(split: Split, p: TrainParams): NetConfig {
  const maxLength = Math.max(1, ...split.users.map((u) => u.trainIndices.length + 1));
  return networkConfig(p, { items: split.universe.size, maxLength });
}

/** A member's network for `items` movies and histories of at most `maxLength` movies. */
export function networkConfig(
  p: TrainParams,
  data: { items: number; maxLength: number },
): NetConfig {
  const V = data.items;
  return {
    input: { kind: "bags", bags: p.features.bags.length, dim: p.dim },
    hidden: p.hidden,
    projection: effectiveProjection(p),
    tied: p.tied,
    output: V,
    batchNorm: true,
    dropout: p.dropout,
    batchSize: p.batchSize,
    maxNnz: Math.max(INFER_MAX_NNZ, p.batchSize * maxNonZeros(p.features, data.maxLength)),
    maxCandidates: p.negatives > 0 ? Math.min(V, p.negatives + p.batchSize) : 0,
    adam: { lr: p.lr, weightDecay: p.weightDecay },
  };
}

/** Trains member `member` in `kernel` until validation NDCG@10 stops improving. */
export async function trainMember(
  kernel: Kernel,
  split: Split,
  options: MemberJobOptions,
): Promise<MemberResult> {
  const { p, member } = options;
  const seed = hashSeed(p.seed, member);
  const config = { ...memberConfig(split, p), seed };
  const net = Net.create(kernel, config);
  const pop = popularityCounts(split);
  initOutputBias(net, pop);
  const model = new Recommender(net, {
    itemIds: Array.from(split.universe.ids),
    features: p.features,
  });
  const prng = new Prng(hashSeed(seed, 1));
  const batches = new BatchBuilder(split, {
    p,
    negatives: negativeSampler(pop, new Prng(hashSeed(seed, 2)), p.negativePower),
    prng,
  });
  // The best `averageTop` epochs by validation NDCG@10, best first.
  let top: { epoch: number; ndcg: number; state: Map<string, Float32Array> }[] = [];
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    const examples = sampleExamples(split, { perUser: p.prefixesPerUser, prng });
    // Every example once; a last batch of one row is skipped (BatchNorm needs two).
    const steps = Math.ceil(examples.count / p.batchSize) -
      (examples.count % p.batchSize === 1 ? 1 : 0);
    let total = 0;
    for (let s = 0; s < steps; s++) {
      options.signal?.throwIfAborted();
      net.learningRate = learningRate(p, (epoch - 1 + s / steps) / p.epochs);
      const start = s * p.batchSize;
      const end = Math.min(examples.count, start + p.batchSize);
      const { batch, candidates } = batches.build(examples, { start, end });
      total += net.trainStep(batch, candidates);
      if ((s & 15) === 15 || s === steps - 1) {
        options.onStep?.({ member, epoch, step: s + 1, steps });
      }
    }
    const val = await evaluateRanking(split, model.scorer(), { phase: "validation" });
    const isBest = top.length === 0 || val.ndcg10 > top[0].ndcg;
    if (top.length < p.averageTop || val.ndcg10 > top[top.length - 1].ndcg) {
      top = [...top, { epoch, ndcg: val.ndcg10, state: snapshotState(net) }]
        .sort((a, b) => b.ndcg - a.ndcg || a.epoch - b.epoch).slice(0, p.averageTop);
    }
    const last = epoch - top[0].epoch >= p.patience || epoch === p.epochs;
    await options.onEpoch?.({
      member,
      epoch,
      loss: total / Math.max(1, steps),
      valNdcg10: val.ndcg10,
      valHr10: val.hr10,
      seconds: (performance.now() - t0) / 1000,
      best: isBest,
      last,
    });
    if (last) break;
  }
  if (top.length > 1) {
    averageInto(net, top.map((t) => t.state));
    recalibrateBatchNorm(net, { split, p, batches, prng });
    return { config, state: snapshotState(net), bestEpoch: top[0].epoch };
  }
  return { config, state: top[0].state, bestEpoch: top[0].epoch };
}

/**
 * The learning rate at `progress` ∈ [0, 1) of the run: constant, or cosine annealing
 * (Loshchilov & Hutter 2017) from lr down to lr/20 at the last epoch.
 */
export function learningRate(p: TrainParams, progress: number): number {
  if (p.schedule === "constant") return p.lr;
  const floor = p.lr / 20;
  return floor + 0.5 * (p.lr - floor) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

/**
 * Loads the mean of several epochs' parameters (weight averaging along the trajectory, Izmailov
 * et al. 2018: a flatter, better-generalising point than any one epoch).
 */
function averageInto(net: Net, states: Map<string, Float32Array>[]): void {
  for (const name of net.stateNames()) {
    if (!name.startsWith("p:")) continue;
    const out = net.view(name);
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
  net: Net,
  ctx: { split: Split; p: TrainParams; batches: BatchBuilder; prng: Prng },
): void {
  const { p } = ctx;
  net.config.hidden.forEach((_, l) => {
    net.view(`runMean${l}`).fill(0);
    net.view(`runVar${l}`).fill(1);
  });
  const examples: Examples = sampleExamples(ctx.split, {
    perUser: p.prefixesPerUser,
    prng: ctx.prng,
  });
  // Hidden dropout off too: inference never drops, so later layers' statistics must not see it.
  const dropout = net.config.dropout;
  net.config.dropout = 0;
  try {
    for (let start = 0; start + 1 < examples.count; start += p.batchSize) {
      const { batch, candidates } = ctx.batches.build(examples, {
        start,
        end: Math.min(examples.count, start + p.batchSize),
        inputDropout: 0,
        maskHistory: false,
      });
      net.setBatch(batch);
      net.forward("train", candidates);
    }
  } finally {
    net.config.dropout = dropout;
  }
}

// Output biases start at log-popularity: the untrained model already ranks like the baseline.
function initOutputBias(net: Net, pop: Float32Array): void {
  const bias = net.view("p:bo");
  let total = 0;
  for (const c of pop) total += c;
  const norm = Math.log(total + pop.length);
  for (let i = 0; i < pop.length; i++) bias[i] = Math.log(pop[i] + 1) - norm;
}

function snapshotState(net: Net): Map<string, Float32Array> {
  return new Map(net.stateNames().map((name) => [name, net.view(name).slice()]));
}
