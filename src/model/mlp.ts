/** A multilayer perceptron whose tensors live in the kernel arena; TypeScript only schedules kernel calls. */
import { invalid } from "../errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Layout } from "./layout.ts";
import {
  dims,
  type MlpConfig,
  planMlp,
  resolveConfig,
  type ResolvedConfig,
  TOPK_MAX,
} from "./mlp_config.ts";
import { initParams } from "./init.ts";
import { type Batch, type CandidateOptions, type Mode, writeBatch } from "./batch.ts";
import { forwardPass } from "./forward.ts";
import { adamPass, backwardPass } from "./backward.ts";

export type { Batch, CandidateOptions, DenseBatch, Mode, SparseBatch } from "./batch.ts";

/** What the arena holds right now (read by the forward/backward passes). */
export interface CurrentBatch {
  rows: number;
  nnz: number;
  /** Candidate count of the last training forward (0: full softmax). */
  candidates: number;
  dropoutDraws: number;
}

/**
 * The MLP: input → (dense + BatchNorm + ReLU [+ dropout]) × hidden → dense → softmax. Build with
 * {@link Mlp.create}; every tensor lives in the kernel's shared memory at offsets fixed by `layout`.
 */
export class Mlp {
  readonly config: ResolvedConfig;
  readonly kernel: Kernel;
  readonly layout: Layout;
  /** Layer widths [input, ...hidden, output]. */
  readonly dims: number[];
  /** Byte offset of the arena in kernel memory. */
  readonly base: number;
  /** Number of Adam steps taken (the bias-correction step count). */
  steps = 0;
  readonly current: CurrentBatch = { rows: 0, nnz: 0, candidates: 0, dropoutDraws: 0 };

  private constructor(kernel: Kernel, config: ResolvedConfig) {
    this.kernel = kernel;
    this.config = config;
    this.layout = planMlp(config);
    this.base = kernel.alloc(this.layout.bytes);
    this.dims = dims(config);
  }

  /** Builds the model in `kernel`'s arena and initialises its weights from `config.seed`. */
  static create(kernel: Kernel, config: MlpConfig): Mlp {
    const mlp = new Mlp(kernel, resolveConfig(config));
    initParams(mlp);
    return mlp;
  }

  /** Byte offset of a tensor (`p:W0`, `g:b1`, `m:`/`v:` moments, `z0`, `logits`, …) in kernel memory. */
  at(name: string): number {
    const slot = this.layout.slots.get(name);
    if (!slot) throw invalid(`mlp has no tensor "${name}"`);
    return this.base + slot.offset;
  }

  /** A float32 view of a tensor (re-take it after anything allocates more kernel memory). */
  view(name: string): Float32Array {
    return this.kernel.f32(this.at(name), this.layout.slots.get(name)!.length);
  }

  /** Named tensors a checkpoint stores: every parameter plus BatchNorm running statistics. */
  stateNames(): string[] {
    return [...this.layout.slots.keys()].filter((n) => n.startsWith("p:") || n.startsWith("run"));
  }

  /** Copies a batch into the arena; returns its row count. */
  setBatch(batch: Batch): number {
    const { rows, nnz } = writeBatch(this, batch);
    this.current.rows = rows;
    this.current.nnz = nnz;
    return rows;
  }

  /**
   * Runs the network on the current batch. "train": batch statistics, dropout, returns the mean
   * softmax cross-entropy (over `candidates` when given); "infer": running statistics, returns NaN
   * and leaves the logits in {@link Mlp.logits}.
   */
  forward(mode: Mode, options: Partial<CandidateOptions> = {}): number {
    if (mode === "train") this.#needTraining('forward("train")');
    return forwardPass(this, mode, options);
  }

  /** Backpropagates the loss of the last "train" forward into every parameter gradient. */
  backward(): void {
    this.#needTraining("backward()");
    backwardPass(this);
  }

  /** One Adam update from the gradients of the last backward. */
  step(): void {
    this.#needTraining("step()");
    adamPass(this);
  }

  /** setBatch + forward("train") + backward + step; returns the batch loss. */
  trainStep(batch: Batch, options: Partial<CandidateOptions> = {}): number {
    if (!batch.labels) throw invalid("trainStep needs batch.labels");
    this.setBatch(batch);
    const loss = this.forward("train", options);
    this.backward();
    this.step();
    return loss;
  }

  /**
   * Inference (running statistics) on a batch; returns a view of the B×output logits, valid until
   * the next call. A batch of one row takes the batch-1 path (zero inputs skipped).
   */
  predict(batch: Batch): Float32Array {
    const B = this.setBatch(batch);
    this.forward("infer");
    return this.kernel.f32(this.at("logits"), B * this.config.output);
  }

  /** The logits of the last full-softmax forward's batch (a view). */
  logits(): Float32Array {
    return this.kernel.f32(this.at("logits"), this.current.rows * this.config.output);
  }

  /**
   * Best `k` of `scores` (any length up to the output size; default: the first row of the last
   * logits), skipping the `exclude` ids; selection runs in the kernel. Returns fresh arrays, best
   * first, ties by lower id.
   */
  topK(
    k: number,
    options: { exclude?: ArrayLike<number>; scores?: Float32Array } = {},
  ): { ids: Int32Array; scores: Float32Array } {
    if (!Number.isInteger(k) || k < 1 || k > TOPK_MAX) {
      throw invalid(`top-k k must be in 1..${TOPK_MAX}, got ${k}`);
    }
    const N = options.scores?.length ?? this.config.output;
    if (N > this.config.output) {
      throw invalid(
        `top-k scores have ${N} values, at most ${this.config.output} (the output size)`,
      );
    }
    // probs is free scratch outside a training step.
    const row = this.kernel.f32(this.at("probs"), N);
    row.set(options.scores ?? this.kernel.f32(this.at("logits"), N));
    const ex = options.exclude ?? [];
    for (let i = 0; i < ex.length; i++) if (ex[i] >= 0 && ex[i] < N) row[ex[i]] = -Infinity;
    const n = this.kernel.fn.topK(this.at("topIdx"), this.at("topScore"), this.at("probs"), N, k);
    return {
      ids: this.kernel.i32(this.at("topIdx"), n).slice(),
      scores: this.kernel.f32(this.at("topScore"), n).slice(),
    };
  }

  #needTraining(what: string): void {
    if (!this.config.training) {
      throw invalid(`${what} needs a training model; this one was built with training: false`);
    }
  }
}
