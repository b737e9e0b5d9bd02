/**
 * Trains the next-item recommender (YouTube-DNN-style candidate generation, Covington et al. 2016):
 * every train prefix of a user predicts the movie that came next. A sampled softmax over
 * popularity-drawn negatives with logQ correction (Bengio & Senécal 2008; Yi et al. 2019) keeps a
 * step's cost independent of the catalogue; movies already in the prefix are masked out of its
 * softmax (they are never the answer, and the evaluation excludes them too); input items are
 * dropped at random; early stopping keeps each member's best epochs on validation NDCG@10; the
 * members are folded into one network; an item-to-item transition term (../transitions.ts), its
 * weight chosen on validation, is added to its logits.
 */
import type { Split } from "../../features/split.ts";
import { Kernel } from "../kernel/kernel.ts";
import { foldMembers, type Member } from "../network/fold.ts";
import { INFER_MAX_NNZ, Recommender } from "../recommender.ts";
import { DEFAULT_TRANSITIONS } from "../transitions.ts";
import { resolveParams, type TrainParams } from "./hyperparams.ts";
import { type EpochLog, type MemberResult, type StepProgress, trainMember } from "./member.ts";
import { splitInteractionsOf, trainMemberInWorker } from "./member_pool.ts";
import { fitTransitionTerm } from "./transition_term.ts";

/** The trained model and how it got there. */
export interface TrainResult {
  model: Recommender;
  params: TrainParams;
  epochs: EpochLog[];
  /** Each member's best epoch. */
  bestEpochs: number[];
  /** The transition term's weight chosen on validation (0: none or not helping), and the curve. */
  transitionWeight: number;
  transitionValidation: [number, number][];
  seconds: number;
}

/**
 * Trains on `split`'s train items only (validation picks each member's epochs; test is never
 * looked at) and folds the members into one network in `kernel`. With two or more threads the
 * members train concurrently, each in a worker with its own single-threaded kernel:
 * a compact network's products are too small to gain from splitting, separate members are not.
 */
export async function trainRecommender(
  kernel: Kernel,
  split: Split,
  options: {
    params?: Partial<TrainParams>;
    onEpoch?: (log: EpochLog) => void | Promise<void>;
    onStep?: (progress: StepProgress) => void;
    signal?: AbortSignal;
  } = {},
): Promise<TrainResult> {
  const p = resolveParams(options.params);
  const started = performance.now();
  const itemIds = Array.from(split.universe.ids);
  // With more members than cores, all of them still start at once (up to two per core): the OS
  // shares the cores, so no core idles while the last member of a second round trains alone.
  const concurrency = kernel.threads <= 1 ? 1 : Math.min(2 * kernel.threads, p.members);
  const results: MemberResult[] = new Array(p.members);
  const epochs: EpochLog[] = [];
  const job = (member: number) => ({
    p,
    member,
    onEpoch: async (log: EpochLog) => {
      epochs.push(log);
      await options.onEpoch?.(log);
    },
    onStep: options.onStep,
    signal: options.signal,
  });
  if (concurrency <= 1) {
    for (let m = 0; m < p.members; m++) {
      const scratch = await Kernel.create({ threads: 1 });
      try {
        results[m] = await trainMember(scratch, split, job(m + 1));
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
        results[m] = await trainMemberInWorker(data, job(m + 1));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }
  const members: Member[] = results.map((r) => ({ config: r.config, state: r.state }));
  const folded = foldMembers(kernel, members, { batchSize: 256, maxNnz: INFER_MAX_NNZ });
  let model = new Recommender(folded, { itemIds, features: p.features });
  let transitionValidation: [number, number][] = [];
  if (p.transitionWindow > 0) {
    const spec = { ...DEFAULT_TRANSITIONS, window: p.transitionWindow, keep: p.transitionKeep };
    const fit = fitTransitionTerm(model, split, spec);
    model = model.withTransitions(fit);
    transitionValidation = fit.validation;
  }
  return {
    model,
    params: p,
    epochs,
    bestEpochs: results.map((r) => r.bestEpoch),
    transitionWeight: model.transitions?.weight ?? 0,
    transitionValidation,
    seconds: (performance.now() - started) / 1000,
  };
}
