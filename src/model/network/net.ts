/** The network object: its tensors live in the kernel arena; TypeScript only schedules kernel calls. */
import { internal, invalid } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { adamPass } from "./adam.ts";
import { Arena } from "./arena.ts";
import { backwardPass } from "./backward.ts";
import { type Batch, type CandidateOptions, type Mode, writeBatch } from "./batch.ts";
import { type NetConfig, resolveConfig, type ResolvedConfig } from "./config.ts";
import { forwardPass } from "./forward.ts";
import { initParams } from "./init.ts";
import { TOPK_MAX } from "./plan.ts";

export type { BagBatch, Batch, CandidateOptions, DenseBatch, Mode } from "./batch.ts";

/**
 * A next-item network (see {@link NetConfig}): bags over a shared embedding or dense input →
 * (dense + BatchNorm + ReLU [+ dropout]) × hidden → [projection] → output table → softmax.
 * Build with {@link Net.create}; every tensor lives in the kernel's shared memory.
 */
export class Net {
  readonly arena: Arena;

  private constructor(kernel: Kernel, config: ResolvedConfig) {
    this.arena = new Arena(kernel, config);
  }

  /** Builds the network in `kernel`'s arena and initialises its weights from `config.seed`. */
  static create(kernel: Kernel, config: NetConfig): Net {
    const net = new Net(kernel, resolveConfig(config));
    initParams(net.arena);
    return net;
  }

  get config(): ResolvedConfig {
    return this.arena.config;
  }

  get kernel(): Kernel {
    return this.arena.kernel;
  }

  /** Adam steps taken. */
  get steps(): number {
    return this.arena.steps;
  }

  set steps(n: number) {
    this.arena.steps = n;
  }

  /** Adam's learning rate for the next steps (a schedule changes it between steps). */
  get learningRate(): number {
    return this.arena.config.adam.lr;
  }

  set learningRate(lr: number) {
    this.arena.config.adam.lr = lr;
  }

  /** A float32 view of a tensor (`p:E`, `runMean0`, `logits`, …); re-take it after allocations. */
  view(name: string): Float32Array {
    return this.arena.f32(name);
  }

  /** Named tensors a checkpoint stores: every parameter plus BatchNorm running statistics. */
  stateNames(): string[] {
    return [...this.arena.layout.slots.keys()].filter((n) =>
      n.startsWith("p:") || n.startsWith("run")
    );
  }

  /** Copies a batch into the arena; returns its row (history) count. */
  setBatch(batch: Batch): number {
    return writeBatch(this.arena, batch).rows;
  }

  /**
   * Runs the network on the current batch. "train": batch statistics, dropout, returns the mean
   * softmax cross-entropy (over `candidates` when given); "infer": running statistics, returns NaN
   * and leaves the logits in {@link Net.logits}.
   */
  forward(mode: Mode, options: Partial<CandidateOptions> = {}): number {
    if (mode === "train") this.#needTraining('forward("train")');
    return forwardPass(this.arena, mode, options);
  }

  /** Backpropagates the loss of the last "train" forward into every parameter gradient. */
  backward(): void {
    this.#needTraining("backward()");
    backwardPass(this.arena);
  }

  /** One Adam update from the gradients of the last backward. */
  step(): void {
    this.#needTraining("step()");
    adamPass(this.arena);
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

  /** Inference (running statistics) on a batch; returns a view of the B×output logits. */
  predict(batch: Batch): Float32Array {
    const B = this.setBatch(batch);
    this.forward("infer");
    return this.arena.f32("logits", B * this.config.output);
  }

  /** The logits of the last full-softmax forward's batch (a view). */
  logits(): Float32Array {
    return this.arena.f32("logits", this.arena.current.rows * this.config.output);
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
    const a = this.arena;
    const N = options.scores?.length ?? this.config.output;
    if (N > this.config.output) {
      throw internal(`top-k got ${N} scores, at most ${this.config.output} (the output size)`);
    }
    // probs is free scratch outside a training step.
    const row = a.f32("probs", N);
    row.set(options.scores ?? a.f32("logits", N));
    const ex = options.exclude ?? [];
    for (let i = 0; i < ex.length; i++) if (ex[i] >= 0 && ex[i] < N) row[ex[i]] = -Infinity;
    const n = a.kernel.run("topK", {
      outIdx: a.at("topIdx"),
      outScore: a.at("topScore"),
      scores: a.at("probs"),
      n: N,
      k,
    });
    return { ids: a.i32("topIdx", n).slice(), scores: a.f32("topScore", n).slice() };
  }

  #needTraining(what: string): void {
    if (!this.config.training) {
      throw internal(`${what} needs a training network; this one was built with training: false`);
    }
  }
}
