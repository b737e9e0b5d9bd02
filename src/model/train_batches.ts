/**
 * Training batches for next-item prediction: which prefixes an epoch visits, their encoded
 * inputs (with input-item dropout), and the sampled-softmax candidates with their logQ
 * correction and per-row masks of already-watched movies.
 */
import { CsrBuilder, encodeHistory } from "../features/history_features.ts";
import type { Split } from "../features/split.ts";
import type { CandidateOptions, SparseBatch } from "./batch.ts";
import type { TrainParams } from "./train.ts";

/** One training example: the first `length` train movies of user `user` predict the next. */
export interface Example {
  user: number;
  length: number;
}

/** Draws `n` movies with probability q ∝ popularity + 1, and knows log q of each. */
export interface NegativeSampler {
  draw(n: number, out: Int32Array): void;
  logQ: Float32Array;
}

/** The random sources of one member's training. */
export interface EpochSampler {
  negatives: NegativeSampler;
  draw: () => number;
}

/** Inverse-CDF sampling over smoothed popularity, so every movie can be a negative. */
export function negativeSampler(pop: Float32Array, next: () => number): NegativeSampler {
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

/** Up to `perUser` random prefixes (lengths 1..n−1) of every user, shuffled. */
export function sampleExamples(
  split: Split,
  options: { perUser: number; draw: () => number },
): Example[] {
  const { draw } = options;
  const examples: Example[] = [];
  split.users.forEach((u, k) => {
    const positions = Array.from(
      { length: Math.max(0, u.trainIndices.length - 1) },
      (_, i) => i + 1,
    );
    shuffle(positions, draw);
    for (const length of positions.slice(0, options.perUser)) examples.push({ user: k, length });
  });
  shuffle(examples, draw);
  return examples;
}

/** Reusable scratch: candidate positions by movie (−1 = not a candidate). */
export interface BatchWork {
  position: Int32Array;
}

/** Encodes `rows` as a sparse batch with labels, plus the candidate options when sampling. */
export function buildBatch(
  split: Split,
  rows: Example[],
  ctx: { p: TrainParams; V: number; sampler: EpochSampler; work: BatchWork },
): { batch: SparseBatch; candidates?: CandidateOptions } {
  const { p, V, sampler } = ctx;
  const csr = new CsrBuilder();
  const targets = new Int32Array(rows.length);
  const keep = 1 - p.inputDropout;
  rows.forEach((e, r) => {
    const items = split.users[e.user].trainIndices;
    const start = csr.indices.length;
    encodeHistory(items, p.features, { V, out: csr, length: e.length });
    if (p.inputDropout > 0) {
      // Inverted dropout on input entries: drop, then scale survivors to keep the expectation.
      let w = start;
      for (let j = start; j < csr.indices.length; j++) {
        if (sampler.draw() < keep) {
          csr.indices[w] = csr.indices[j];
          csr.values[w++] = csr.values[j] / keep;
        }
      }
      csr.indices.length = csr.values.length = w;
      csr.offsets[csr.offsets.length - 1] = w;
    }
    targets[r] = items[e.length];
  });
  const inputs = csr.build();
  if (p.negatives === 0) return { batch: { ...inputs, labels: targets } };

  const { position } = ctx.work;
  const cands: number[] = [];
  const add = (i: number) => {
    if (position[i] < 0) position[i] = cands.push(i) - 1;
  };
  targets.forEach(add);
  const negatives = new Int32Array(p.negatives);
  sampler.negatives.draw(p.negatives, negatives);
  negatives.forEach(add);
  const C = cands.length;
  const mask: number[] = [];
  if (p.maskHistory) {
    rows.forEach((e, r) => {
      const items = split.users[e.user].trainIndices;
      for (let j = 0; j < e.length; j++) {
        const at = position[items[j]];
        if (at >= 0) mask.push(r * C + at);
      }
    });
  }
  const labels = targets.map((t) => position[t]);
  const candidates = Int32Array.from(cands);
  const correction = Float32Array.from(candidates, (c) => -sampler.negatives.logQ[c]);
  for (const c of cands) position[c] = -1;
  return {
    batch: { ...inputs, labels },
    candidates: { candidates, correction, mask: Int32Array.from(mask) },
  };
}

function shuffle<T>(a: T[], next: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
