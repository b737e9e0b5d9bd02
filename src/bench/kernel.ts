/** Kernel benchmark: recsys/seed training steps, batch-1 and batch-256 inference, GFLOP/s vs the SIMD limit. */
import { Kernel } from "../model/kernel.ts";
import { type Batch, Mlp } from "../model/mlp.ts";
import type { MlpConfig } from "../model/mlp_config.ts";
import { rng } from "../model/init.ts";
import process from "node:process";

/** Peak of one 128-bit WASM SIMD core here: 4 lanes × 2 (FMA) × 2 ports × 2.6 GHz. */
export const SIMD_GFLOPS_PER_CORE = 41.6;

/** Options for {@link benchKernel}. */
export interface KernelBenchOptions {
  /** Threads for the multi-threaded figures (default 2). */
  threads?: number;
  /** Seconds per measurement (default 1.5). */
  seconds?: number;
}

/** The figures; keys are stable (CI and the README quote them). */
export interface KernelBenchResult {
  threads: number;
  recsys_train_steps_per_s_1t: number;
  recsys_train_steps_per_s_2t: number;
  recsys_train_gflops_1t: number;
  recsys_train_gflops_2t: number;
  recsys_simd_fraction_1t: number;
  recsys_simd_fraction_2t: number;
  infer_b1_per_s: number;
  infer_b256_samples_per_s: number;
  infer_b256_samples_per_s_1t: number;
  seed_train_steps_per_s: number;
  seed_train_steps_per_s_1t: number;
  sparse10k_train_steps_per_s: number;
  /** 1-thread figures per CPU-second of this process (what the core gives when not shared). */
  recsys_train_steps_per_cpu_s_1t: number;
  infer_b1_per_cpu_s: number;
  seed_train_steps_per_cpu_s_1t: number;
  /**
   * Multi-threaded figures per CPU-second of the busiest thread: what the run would give if each
   * thread had a core to itself (an estimate for an idle machine; it ignores time spent waiting).
   */
  recsys_train_steps_per_s_2t_own_cores: number;
  seed_train_steps_per_s_own_cores: number;
  /** 1-minute load average before the run: above the core count, other work shares the cores. */
  load_average_1m: number;
  cores: number;
}

const RECSYS: MlpConfig = { input: 128, hidden: [256, 256], output: 4096, batchSize: 256, seed: 1 };
const SEED: MlpConfig = { input: 3, hidden: [256, 256], output: 200, batchSize: 16, seed: 1 };
// The recommender's likely shape: bag of ~40 watched movies out of 10k, full softmax over 10k.
const SPARSE: MlpConfig = {
  input: 10000,
  sparseInput: true,
  hidden: [256, 256],
  output: 10000,
  batchSize: 256,
  maxNnz: 256 * 40,
  seed: 1,
};

/** Training GFLOP per step: 2·M·N·K per forward product plus both backward products, except the first layer's input gradient. */
export function trainGflop(c: MlpConfig): number {
  const d = [c.input, ...c.hidden, c.output];
  let f = 0;
  for (let l = 0; l < d.length - 1; l++) f += 2 * c.batchSize * d[l] * d[l + 1] * (l === 0 ? 2 : 3);
  return f / 1e9;
}

function denseBatches(c: MlpConfig, n: number): Batch[] {
  const next = rng(99);
  return Array.from({ length: n }, () => ({
    x: Float32Array.from({ length: c.batchSize * c.input }, () => next() * 2 - 1),
    labels: Int32Array.from({ length: c.batchSize }, () => Math.floor(next() * c.output)),
  }));
}

function sparseBatches(c: MlpConfig, n: number, perRow: number): Batch[] {
  const next = rng(98);
  return Array.from({ length: n }, () => {
    const offsets = Int32Array.from({ length: c.batchSize + 1 }, (_, i) => i * perRow);
    const indices = Int32Array.from(
      { length: c.batchSize * perRow },
      () => Math.floor(next() ** 2 * c.input),
    );
    const values = new Float32Array(indices.length).fill(1 / perRow);
    return {
      offsets,
      indices,
      values,
      labels: Int32Array.from({ length: c.batchSize }, () => Math.floor(next() * c.output)),
    };
  });
}

/** Calls per wall-clock second, per CPU-second of this process, and per CPU-second of its busiest thread. */
interface Rate {
  wall: number;
  cpu: number;
  /** Calls per second if every thread had a core to itself (Linux /proc; NaN elsewhere). */
  busiest: number;
}

// CPU milliseconds used so far by each thread of this process (Linux), keyed by thread id.
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const e of Deno.readDirSync("/proc/self/task")) {
      const stat = Deno.readTextFileSync(`/proc/self/task/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(e.name, (Number(f[11]) + Number(f[12])) * 10); // utime + stime in 10 ms ticks
    }
  } catch {
    // Not Linux: the estimate is NaN.
  }
  return out;
}

// Calls `run` until `seconds` have passed (after a short warm-up).
function rate(seconds: number, run: (i: number) => void): Rate {
  for (let i = 0; i < 3; i++) run(i);
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuMs();
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    run(calls++);
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  let busiest = 0;
  for (const [id, ms] of threadCpuMs()) busiest = Math.max(busiest, ms - (threads0.get(id) ?? 0));
  return {
    wall: (calls * 1000) / (now - start),
    cpu: (calls * 1e6) / Math.max(1, cpu.user + cpu.system),
    busiest: busiest > 0 ? (calls * 1000) / busiest : NaN,
  };
}

async function withKernel<T>(threads: number, f: (k: Kernel) => T): Promise<T> {
  const kernel = await Kernel.create({ threads });
  try {
    return f(kernel);
  } finally {
    kernel.close();
  }
}

function trainRate(k: Kernel, c: MlpConfig, batches: Batch[], seconds: number): Rate {
  const mlp = Mlp.create(k, c);
  return rate(seconds, (i) => mlp.trainStep(batches[i % batches.length]));
}

/** Runs every measurement; takes roughly 10 × `seconds`. */
export async function benchKernel(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const T = options.threads ?? 2;
  const load = Deno.loadavg()[0];
  const s = options.seconds ?? 1.5;
  const recsys = denseBatches(RECSYS, 4);
  const seed = denseBatches(SEED, 16);
  const sparse = sparseBatches(SPARSE, 4, 40);
  const r1 = await withKernel(1, (k) => trainRate(k, RECSYS, recsys, s));
  const rT = await withKernel(T, (k) => trainRate(k, RECSYS, recsys, s));
  const seed1 = await withKernel(1, (k) => trainRate(k, SEED, seed, s));
  const seedT = await withKernel(T, (k) => trainRate(k, SEED, seed, s));
  const sparseT = await withKernel(T, (k) => trainRate(k, SPARSE, sparse, s));
  const inferB1 = await withKernel(1, (k) => {
    const mlp = Mlp.create(k, { ...RECSYS, batchSize: 1 });
    const xs = denseBatches({ ...RECSYS, batchSize: 1 }, 64) as { x: Float32Array }[];
    return rate(s, (i) => mlp.predict({ x: xs[i & 63].x }));
  });
  const infer256 = (k: Kernel) => {
    const mlp = Mlp.create(k, RECSYS);
    return rate(s, (i) => mlp.predict({ x: (recsys[i & 3] as { x: Float32Array }).x })).wall * 256;
  };
  const b256_1 = await withKernel(1, infer256);
  const b256_T = await withKernel(T, infer256);
  const g = trainGflop(RECSYS);
  return {
    threads: T,
    recsys_train_steps_per_s_1t: round(r1.wall),
    recsys_train_steps_per_s_2t: round(rT.wall),
    recsys_train_gflops_1t: round(r1.wall * g),
    recsys_train_gflops_2t: round(rT.wall * g),
    recsys_simd_fraction_1t: round((r1.wall * g) / SIMD_GFLOPS_PER_CORE, 3),
    recsys_simd_fraction_2t: round((rT.wall * g) / (SIMD_GFLOPS_PER_CORE * T), 3),
    infer_b1_per_s: round(inferB1.wall),
    infer_b256_samples_per_s: round(b256_T),
    infer_b256_samples_per_s_1t: round(b256_1),
    seed_train_steps_per_s: round(seedT.wall),
    seed_train_steps_per_s_1t: round(seed1.wall),
    sparse10k_train_steps_per_s: round(sparseT.wall),
    recsys_train_steps_per_cpu_s_1t: round(r1.cpu),
    infer_b1_per_cpu_s: round(inferB1.cpu),
    seed_train_steps_per_cpu_s_1t: round(seed1.cpu),
    recsys_train_steps_per_s_2t_own_cores: round(rT.busiest),
    seed_train_steps_per_s_own_cores: round(seedT.busiest),
    load_average_1m: round(load, 2),
    cores: navigator.hardwareConcurrency,
  };
}

function round(v: number, digits = 1): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
