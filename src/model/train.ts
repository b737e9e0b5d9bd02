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
  validateFeatureSpec,
} from "../features/history_features.ts";
import type { Split } from "../features/split.ts";
import { foldMembers, type Member } from "./ensemble.ts";
import { Kernel } from "./kernel.ts";
import { splitInteractionsOf, trainMemberInWorker } from "./member_pool.ts";
import { INFER_MAX_NNZ, Recommender } from "./recommender.ts";
import { type MemberResult, trainMember } from "./train_member.ts";

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
  /** A member's weights are the mean of its best this-many epochs (1 = the best epoch alone). */
  averageTop: number;
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
  lr: 2e-3,
  weightDecay: 0,
  batchSize: 256,
  negatives: 512,
  prefixesPerUser: 100,
  epochs: 8,
  patience: 3,
  averageTop: 3,
  members: 4,
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
    "averageTop",
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
 * looked at) and folds the members into one network in `kernel`. With two or more threads the
 * members train concurrently, one per core, each in a worker with its own single-threaded kernel:
 * the sparse input layer and the optimizer are memory-bound ops that gain little from splitting,
 * so separate members keep both cores busy where split products would not.
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
  const itemIds = Array.from(split.universe.ids);
  const concurrency = Math.min(kernel.threads, p.members);
  const results: MemberResult[] = new Array(p.members);
  const epochs: EpochLog[] = [];
  const onEpoch = async (log: EpochLog) => {
    epochs.push(log);
    await options.onEpoch?.(log);
  };
  if (concurrency <= 1) {
    for (let m = 0; m < p.members; m++) {
      const scratch = await Kernel.create({ threads: kernel.threads });
      try {
        results[m] = await trainMember(scratch, split, {
          p,
          member: m + 1,
          onEpoch,
          signal: options.signal,
        });
      } finally {
        scratch.close();
      }
    }
  } else {
    const data = splitInteractionsOf(split);
    let next = 0;
    const lane = async () => {
      while (next < p.members) {
        const m = next++;
        results[m] = await trainMemberInWorker(data, {
          p,
          member: m + 1,
          onEpoch,
          signal: options.signal,
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }
  const members: Member[] = results.map((r) => ({ config: r.config, state: r.state }));
  const folded = foldMembers(kernel, members, { batchSize: 256, maxNnz: INFER_MAX_NNZ });
  const model = new Recommender(folded, { itemIds, features: p.features });
  return {
    model,
    params: p,
    epochs,
    bestEpochs: results.map((r) => r.bestEpoch),
    seconds: (performance.now() - started) / 1000,
  };
}
