/** Mini-batch training loop with a seeded shuffle, plus batch sources over dense or sparse rows. */
import { invalid } from "../errors.ts";
import { rng } from "./init.ts";
import type { Batch, CandidateOptions, Mlp } from "./mlp.ts";

/** Training rows the loop can draw mini-batches from. */
export interface BatchSource {
  /** Number of rows. */
  size: number;
  /** The batch made of these row numbers, labels included. */
  batch(rows: Int32Array): Batch;
}

/** Rows of a dense row-major matrix x (size × width) with class labels. */
export function denseSource(
  x: Float32Array,
  labels: Int32Array,
  options: { width: number },
): BatchSource {
  const { width } = options;
  if (x.length !== labels.length * width) {
    throw invalid(
      `dense source has ${x.length} values for ${labels.length} labels of width ${width}`,
    );
  }
  return {
    size: labels.length,
    batch(rows) {
      const bx = new Float32Array(rows.length * width);
      const by = new Int32Array(rows.length);
      rows.forEach((r, i) => {
        bx.set(x.subarray(r * width, (r + 1) * width), i * width);
        by[i] = labels[r];
      });
      return { x: bx, labels: by };
    },
  };
}

/** Sparse rows (bags of weighted input ids) with class labels. */
export function sparseSource(
  items: { indices: Int32Array; values: Float32Array }[],
  labels: Int32Array,
): BatchSource {
  if (items.length !== labels.length) {
    throw invalid(`sparse source has ${items.length} rows for ${labels.length} labels`);
  }
  return {
    size: labels.length,
    batch(rows) {
      const offsets = new Int32Array(rows.length + 1);
      rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + items[r].indices.length));
      const indices = new Int32Array(offsets[rows.length]);
      const values = new Float32Array(offsets[rows.length]);
      const by = new Int32Array(rows.length);
      rows.forEach((r, i) => {
        indices.set(items[r].indices, offsets[i]);
        values.set(items[r].values, offsets[i]);
        by[i] = labels[r];
      });
      return { offsets, indices, values, labels: by };
    },
  };
}

/** Per-epoch report passed to `onEpoch`. */
export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  steps: number;
  seconds: number;
}

/** Options for {@link fit}. */
export interface FitOptions {
  epochs: number;
  /** Default: the model's configured batch size. */
  batchSize?: number;
  /** Shuffle seed (default: the model's seed). */
  seed?: number;
  /** Called after each epoch; return false to stop early (e.g. on a validation metric). */
  onEpoch?: (report: EpochReport) => boolean | void | Promise<boolean | void>;
  /** Sampled softmax: candidates for a batch given its row numbers. */
  candidates?: (rows: Int32Array, batch: Batch) => CandidateOptions;
  signal?: AbortSignal;
}

/**
 * Trains `mlp` for up to `epochs` passes over `source` in shuffled mini-batches (Fisher–Yates with a
 * seeded PRNG per epoch, so a seed fixes the order). A last batch of one row is skipped because
 * batch statistics of one sample carry no signal.
 */
export async function fit(
  mlp: Mlp,
  source: BatchSource,
  options: FitOptions,
): Promise<EpochReport[]> {
  const bs = options.batchSize ?? mlp.config.batchSize;
  if (!Number.isInteger(bs) || bs < 1 || bs > mlp.config.batchSize) {
    throw invalid(`fit batchSize must be in 1..${mlp.config.batchSize}, got ${bs}`);
  }
  const order = Int32Array.from({ length: source.size }, (_, i) => i);
  const reports: EpochReport[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    options.signal?.throwIfAborted();
    const started = performance.now();
    const next = rng((options.seed ?? mlp.config.seed) * 1000003 + epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let total = 0;
    let steps = 0;
    for (let s = 0; s < order.length; s += bs) {
      const rows = order.subarray(s, Math.min(order.length, s + bs));
      if (rows.length < 2 && mlp.config.batchNorm) continue;
      const batch = source.batch(rows);
      total += mlp.trainStep(batch, options.candidates?.(rows, batch));
      steps++;
    }
    const report = {
      epoch,
      loss: total / Math.max(1, steps),
      steps,
      seconds: (performance.now() - started) / 1000,
    };
    reports.push(report);
    if ((await options.onEpoch?.(report)) === false) break;
  }
  return reports;
}
