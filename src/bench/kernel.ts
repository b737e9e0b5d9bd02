/**
 * Kernel benchmark: this machine's measured SIMD peak, then training steps and inference of the
 * default compact recommender and of a dense reference MLP, as rates and fractions of that peak.
 */
import process from "node:process";
import { DEFAULT_FEATURES, maxNonZeros } from "../features/history_features.ts";
import {
  type BagBatch,
  type Batch,
  type CandidateOptions,
  DEFAULT_PARAMS,
  DEFAULT_TRANSITIONS,
  foldedConfig,
  inferenceMacs,
  Kernel,
  Net,
  type NetConfig,
  networkConfig,
  Recommender,
  resolveConfig,
} from "../model/bench.ts";
import { Prng } from "../random.ts";
import { CsrBuilder, encodeHistory } from "../features/history_features.ts";

/** Movies of the bundled ml-latest-small universe: the size the default figures are for. */
export const BUNDLED_ITEMS = 9681;
/** History length the per-history figures assume (the bundled data's median is 70). */
export const HISTORY_LENGTH = 50;

/** Options for {@link benchKernel}. */
export interface KernelBenchOptions {
  /** Threads for the multi-threaded figures (default 2). */
  threads?: number;
  /** Seconds per measurement (default 1.5). */
  seconds?: number;
}

/** The figures; keys are stable (the README quotes them). */
export interface KernelBenchResult {
  threads: number;
  /** Register-only relaxed-FMA throughput of one thread, and of all threads at once. */
  simd_peak_gflops_1t: number;
  simd_peak_gflops: number;
  /** The default recommender member's training step (batch 256, sampled softmax), 1 thread. */
  model_train_steps_per_s_1t: number;
  model_train_gflops_1t: number;
  model_train_peak_fraction_1t: number;
  /** The served (folded) default model: FLOP per history of HISTORY_LENGTH movies. */
  served_flop_per_history: number;
  served_histories_per_s_b1: number;
  served_histories_per_s_b64: number;
  served_b64_peak_fraction: number;
  /** Top-10 per history as served, from full float32 logits + topKRows, 1 and 64 at a time. */
  top10_logits_per_s_b1: number;
  top10_logits_per_s_b64: number;
  /** The same top-10s through the int8 bounds and exact rescoring (Net.rankRows). */
  top10_int8_per_s_b1: number;
  top10_int8_per_s_b64: number;
  /** Loading a version of the default shape: read bytes → sha256 → decode → kernel arena (ms). */
  load_ms: number;
  checkpoint_bytes: number;
  /** Dense reference MLP 128→256→256→4096, batch 256, full softmax. */
  dense_train_steps_per_s_1t: number;
  dense_train_steps_per_s: number;
  dense_train_peak_fraction_1t: number;
  dense_train_peak_fraction: number;
  load_average_1m: number;
  cores: number;
}

const DENSE: NetConfig = {
  input: { kind: "dense", width: 128 },
  hidden: [256, 256],
  output: 4096,
  batchSize: 256,
  seed: 1,
};

/** Training FLOP of one step: forward and both backward products of every dense layer. */
export function denseTrainGflop(c: NetConfig): number {
  const r = resolveConfig(c);
  const widths = [r.input.kind === "dense" ? r.input.width : 0, ...r.hidden, r.output];
  let f = 0;
  for (let l = 0; l < widths.length - 1; l++) {
    f += 2 * r.batchSize * widths[l] * widths[l + 1] * (l === 0 ? 2 : 3);
  }
  return f / 1e9;
}

// Random histories over a popularity-skewed catalogue, as bag batches.
function historyBatches(
  options: { items: number; rows: number; count: number; labels: boolean },
): BagBatch[] {
  const prng = new Prng(98);
  return Array.from({ length: options.count }, () => {
    const csr = new CsrBuilder();
    for (let r = 0; r < options.rows; r++) {
      const h = Array.from(
        { length: HISTORY_LENGTH },
        () => Math.floor(prng.next() ** 2 * options.items),
      );
      encodeHistory(h, DEFAULT_FEATURES, { out: csr });
    }
    const labels = options.labels
      ? Int32Array.from({ length: options.rows }, () => prng.int(options.items))
      : undefined;
    return { ...csr.build(), labels };
  });
}

/** Calls per second of `run` over `seconds` (after a short warm-up), and per CPU-second. */
function rate(seconds: number, run: (i: number) => void): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) run(i);
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    run(calls++);
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wall: (calls * 1000) / (now - start),
    cpu: (calls * 1e6) / Math.max(1, cpu.user + cpu.system),
  };
}

async function withKernel<T>(threads: number, f: (k: Kernel) => T | Promise<T>): Promise<T> {
  const kernel = await Kernel.create({ threads });
  try {
    return await f(kernel);
  } finally {
    kernel.close();
  }
}

/** GFLOP/s of register-only FMAs on `threads` threads (best of three short runs). */
export async function measurePeak(threads: number): Promise<number> {
  return await withKernel(threads, (k) => {
    const iters = 200_000;
    const repeats = 8 * threads;
    let best = 0;
    for (let t = 0; t < 4; t++) {
      const t0 = performance.now();
      k.split("peakFma", { iters, repeats }, { chunk: 1 });
      const s = (performance.now() - t0) / 1000;
      if (t > 0) best = Math.max(best, (repeats * iters * 12 * 8) / s / 1e9);
    }
    return best;
  });
}

/** Runs every measurement; takes roughly 8 × `seconds`. */
export async function benchKernel(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const T = options.threads ?? 2;
  const load = Deno.loadavg()[0];
  const s = options.seconds ?? 1.5;
  const peak1 = await measurePeak(1);
  const peakT = await measurePeak(T);
  const p = DEFAULT_PARAMS;
  const member = networkConfig(p, { items: BUNDLED_ITEMS, maxLength: 256 });

  // A member's training step: 256 histories, the default sampled softmax (targets + negatives).
  const trainBatches = historyBatches({
    items: BUNDLED_ITEMS,
    rows: p.batchSize,
    count: 4,
    labels: true,
  });
  const C = Math.min(BUNDLED_ITEMS, p.negatives + p.batchSize);
  const cand: CandidateOptions = {
    candidates: Int32Array.from({ length: C }, (_, i) => i),
    correction: new Float32Array(C),
  };
  const train1 = await withKernel(1, (k) => {
    const net = Net.create(k, { ...member, seed: 1 });
    return rate(s, (i) => {
      const b = trainBatches[i & 3];
      net.trainStep({ ...b, labels: b.labels!.map((l) => l % C) }, cand);
    });
  });
  const r = resolveConfig(member);
  const nnz = p.batchSize * maxNonZeros(p.features, HISTORY_LENGTH);
  const K = r.projection || r.hidden[r.hidden.length - 1];
  const trainMacs = 3 * (inferenceMacs(r, 0) - K * BUNDLED_ITEMS) * p.batchSize +
    3 * p.batchSize * K * C + 2 * nnz * p.dim;
  const trainGflops = (train1.wall * 2 * trainMacs) / 1e9;

  // The served network: the members folded into one, scored one history or 64 at a time.
  const served = { ...foldedConfig(member, p.members), batchSize: 64 };
  // Plus the transition term: a multiply-add per successor of its voters (Recommender.flopPerHistory).
  const transitions = p.transitionWindow > 0 ? DEFAULT_TRANSITIONS.last * p.transitionKeep : 0;
  const flop = 2 *
    (inferenceMacs(resolveConfig(served), maxNonZeros(p.features, HISTORY_LENGTH)) + transitions);
  const one = historyBatches({ items: BUNDLED_ITEMS, rows: 1, count: 64, labels: false });
  const many = historyBatches({ items: BUNDLED_ITEMS, rows: 64, count: 4, labels: false });
  const [b1, b64] = await withKernel(1, (k) => {
    const net = Net.create(k, served);
    return [
      rate(s, (i) => net.predict(one[i & 63])).wall,
      rate(s, (i) => net.predict(many[i & 3])).wall * 64,
    ];
  });
  // What serving runs: the top-10 of each history (history excluded), from the full float32
  // logits (then topKRows) or through the int8 bounds and exact rescoring (rankRows).
  const top10 = await withKernel(1, (k) => {
    const net = Net.create(k, { ...served, training: false });
    const none = (rows: number) => ({ exclude: Array.from({ length: rows }, () => []) });
    const logits = (b: Batch, rows: number) => {
      net.predict(b);
      net.topKRows(10, none(rows));
    };
    return {
      logitsB1: rate(s, (i) => logits(one[i & 63], 1)).wall,
      logitsB64: rate(s, (i) => logits(many[i & 3], 64)).wall * 64,
      int8B1: rate(s, (i) => net.rankRows(one[i & 63], 10, none(1))).wall,
      int8B64: rate(s, (i) => net.rankRows(many[i & 3], 10, none(64))).wall * 64,
    };
  });

  // A checkpoint of the default served shape, then the time Recommender.open() takes on it.
  const { bytes, loadMs } = await withKernel(1, async (k) => {
    const net = Net.create(k, { ...served, batchSize: 256, training: false });
    const model = new Recommender(net, {
      itemIds: Array.from({ length: BUNDLED_ITEMS }, (_, i) => i + 1),
      features: p.features,
    });
    const bytes = await model.save({}, { tables: p.tables });
    const file = await Deno.makeTempFile({ suffix: ".rrck" });
    await Deno.writeFile(file, bytes);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      (await Recommender.open(await Deno.readFile(file))).close();
      best = Math.min(best, performance.now() - t0);
    }
    await Deno.remove(file);
    return { bytes, loadMs: best };
  });

  const denseBatches: Batch[] = Array.from({ length: 4 }, (_, i) => {
    const prng = new Prng(i);
    return {
      x: Float32Array.from({ length: 256 * 128 }, () => prng.next() * 2 - 1),
      labels: Int32Array.from({ length: 256 }, () => prng.int(4096)),
    };
  });
  const denseRate = (k: Kernel) => {
    const net = Net.create(k, DENSE);
    return rate(s, (i) => net.trainStep(denseBatches[i & 3])).wall;
  };
  const d1 = await withKernel(1, denseRate);
  const dT = await withKernel(T, denseRate);
  const g = denseTrainGflop(DENSE);
  return {
    threads: T,
    simd_peak_gflops_1t: round(peak1),
    simd_peak_gflops: round(peakT),
    model_train_steps_per_s_1t: round(train1.wall),
    model_train_gflops_1t: round(trainGflops),
    model_train_peak_fraction_1t: round(trainGflops / peak1, 3),
    served_flop_per_history: Math.round(flop),
    served_histories_per_s_b1: Math.round(b1),
    served_histories_per_s_b64: Math.round(b64),
    served_b64_peak_fraction: round((b64 * flop) / 1e9 / peak1, 3),
    top10_logits_per_s_b1: Math.round(top10.logitsB1),
    top10_logits_per_s_b64: Math.round(top10.logitsB64),
    top10_int8_per_s_b1: Math.round(top10.int8B1),
    top10_int8_per_s_b64: Math.round(top10.int8B64),
    load_ms: round(loadMs),
    checkpoint_bytes: bytes.length,
    dense_train_steps_per_s_1t: round(d1),
    dense_train_steps_per_s: round(dT),
    dense_train_peak_fraction_1t: round((d1 * g) / peak1, 3),
    dense_train_peak_fraction: round((dT * g) / peakT, 3),
    load_average_1m: round(load, 2),
    cores: navigator.hardwareConcurrency,
  };
}

function round(v: number, digits = 1): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
