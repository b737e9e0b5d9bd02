/**
 * Training batches for next-item prediction: which prefixes an epoch visits, their encoded bags
 * (with input-item dropout), and the sampled-softmax candidates with their logQ correction and
 * per-row masks of already-watched movies. Buffers are reused from batch to batch.
 */
import { CsrBuilder, encodeHistory } from "../../features/history_features.ts";
import type { Split } from "../../features/split.ts";
import { type Prng, shuffle } from "../../random.ts";
import type { BagBatch, CandidateOptions } from "../network/batch.ts";
import type { TrainParams } from "./hyperparams.ts";

/** An epoch's examples: example k is user `users[k]`'s first `lengths[k]` train movies, predicting the next. */
export interface Examples {
  users: Int32Array;
  lengths: Int32Array;
  count: number;
}

/** Draws movies with probability q ∝ (popularity + 1)^power (every movie can be a negative), knowing log q. */
export interface NegativeSampler {
  draw(n: number, out: Int32Array): void;
  logQ: Float32Array;
}

/**
 * Inverse-CDF sampling over smoothed popularity raised to `power` (1: as popular as watched; < 1
 * flattens towards the long tail, as word2vec's 3/4 does).
 */
export function negativeSampler(
  pop: Float32Array,
  prng: Prng,
  power = 1,
): NegativeSampler {
  const cdf = new Float64Array(pop.length);
  let acc = 0;
  for (let i = 0; i < pop.length; i++) cdf[i] = acc += (pop[i] + 1) ** power;
  const logQ = Float32Array.from(pop, (c) => Math.log((c + 1) ** power / acc));
  return {
    logQ,
    draw(n, out) {
      for (let k = 0; k < n; k++) {
        const u = prng.next() * acc;
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

/** Up to `perUser` random prefixes (lengths 1..n−1) of every user, shuffled. */
export function sampleExamples(split: Split, options: { perUser: number; prng: Prng }): Examples {
  const { perUser, prng } = options;
  let total = 0;
  for (const u of split.users) total += Math.min(perUser, Math.max(0, u.trainIndices.length - 1));
  const users = new Int32Array(total);
  const lengths = new Int32Array(total);
  let k = 0;
  let positions = new Int32Array(16);
  split.users.forEach((u, user) => {
    const n = Math.max(0, u.trainIndices.length - 1);
    if (positions.length < n) positions = new Int32Array(2 * n);
    const pos = positions.subarray(0, n);
    for (let i = 0; i < n; i++) pos[i] = i + 1;
    shuffle(pos, prng);
    for (let i = 0; i < Math.min(perUser, n); i++, k++) {
      users[k] = user;
      lengths[k] = pos[i];
    }
  });
  // Shuffle the examples as pairs.
  const order = shuffle(Int32Array.from({ length: total }, (_, i) => i), prng);
  return {
    users: Int32Array.from(order, (i) => users[i]),
    lengths: Int32Array.from(order, (i) => lengths[i]),
    count: total,
  };
}

/** Builds the batches of one member's training, reusing its buffers. */
export class BatchBuilder {
  readonly #split: Split;
  readonly #p: TrainParams;
  readonly #negatives: NegativeSampler;
  readonly #prng: Prng;
  readonly #csr = new CsrBuilder();
  // Candidate position by movie (−1 = not a candidate this batch).
  readonly #position: Int32Array;
  readonly #drawn: Int32Array;
  #mask = new Int32Array(4096);

  constructor(
    split: Split,
    options: { p: TrainParams; negatives: NegativeSampler; prng: Prng },
  ) {
    this.#split = split;
    this.#p = options.p;
    this.#negatives = options.negatives;
    this.#prng = options.prng;
    this.#position = new Int32Array(split.universe.size).fill(-1);
    this.#drawn = new Int32Array(options.p.negatives);
  }

  /**
   * The batch of examples [start, end): encoded bags with input dropout and the targets, plus the
   * candidate set when sampling (targets first, then the drawn negatives, deduplicated).
   */
  build(
    ex: Examples,
    range: { start: number; end: number; inputDropout?: number; maskHistory?: boolean },
  ): { batch: BagBatch; candidates?: CandidateOptions } {
    const p = this.#p;
    const { start, end } = range;
    const inputDropout = range.inputDropout ?? p.inputDropout;
    const users = this.#split.users;
    const csr = this.#csr;
    csr.clear();
    const B = end - start;
    const targets = new Int32Array(B);
    const keep = 1 - inputDropout;
    for (let r = 0; r < B; r++) {
      const items = users[ex.users[start + r]].trainIndices;
      const length = ex.lengths[start + r];
      const first = csr.nnz;
      encodeHistory(items, p.features, { out: csr, length });
      if (inputDropout > 0) this.#dropInputs(csr, first, keep);
      targets[r] = items[length];
    }
    const inputs = csr.build();
    if (p.negatives === 0) return { batch: { ...inputs, labels: targets } };

    // Candidates: the targets, then the drawn negatives, each movie once.
    const position = this.#position;
    const cands = new Int32Array(B + p.negatives);
    let C = 0;
    const add = (i: number) => {
      if (position[i] < 0) {
        position[i] = C;
        cands[C++] = i;
      }
    };
    for (let r = 0; r < B; r++) add(targets[r]);
    const drawn = this.#drawn;
    this.#negatives.draw(p.negatives, drawn);
    for (let j = 0; j < drawn.length; j++) add(drawn[j]);
    let mask = this.#mask;
    let n = 0;
    if (range.maskHistory ?? p.maskHistory) {
      for (let r = 0; r < B; r++) {
        const items = users[ex.users[start + r]].trainIndices;
        const length = ex.lengths[start + r];
        if (n + length > mask.length) {
          const grown = new Int32Array(Math.max(2 * mask.length, n + length));
          grown.set(mask.subarray(0, n));
          mask = this.#mask = grown;
        }
        const target = targets[r];
        for (let j = 0; j < length; j++) {
          // A re-watched target stays in its own softmax: masking it would make its loss ~1e30.
          const at = items[j] === target ? -1 : position[items[j]];
          if (at >= 0) mask[n++] = r * C + at;
        }
      }
    }
    const labels = new Int32Array(B);
    for (let r = 0; r < B; r++) labels[r] = position[targets[r]];
    const candidates = cands.slice(0, C);
    const correction = new Float32Array(C);
    const logQ = this.#negatives.logQ;
    for (let c = 0; c < C; c++) {
      correction[c] = -logQ[candidates[c]];
      position[candidates[c]] = -1;
    }
    return {
      batch: { ...inputs, labels },
      candidates: { candidates, correction, mask: mask.slice(0, n) },
    };
  }

  // Inverted dropout on the entries written since `first`: drop each with probability 1 − keep,
  // scale survivors by 1/keep so a bag keeps its expected weight; rows are re-closed in place.
  #dropInputs(csr: CsrBuilder, first: number, keep: number): void {
    const bags = this.#p.features.bags.length;
    const row0 = csr.rows - bags;
    let w = first;
    let j = first;
    for (let r = row0; r < csr.rows; r++) {
      const end = csr.offsets[r + 1];
      for (; j < end; j++) {
        if (this.#prng.next() < keep) {
          csr.indices[w] = csr.indices[j];
          csr.values[w++] = csr.values[j] / keep;
        }
      }
      csr.offsets[r + 1] = w;
    }
    csr.nnz = w;
  }
}
