/** A network's tensors in kernel memory: what the forward, backward and optimizer passes work on. */
import { internal } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { ResolvedConfig } from "./config.ts";
import type { Layout } from "./layout.ts";
import { planNet } from "./plan.ts";

/** What the arena holds right now (set by writeBatch and the passes). */
export interface CurrentBatch {
  /** Histories (examples) in the batch. */
  rows: number;
  /** Bag entries of the batch. */
  nnz: number;
  /** Candidates of the last training forward (0: full softmax). */
  candidates: number;
  /** Dropout masks drawn so far (each draw gets a fresh seed). */
  dropoutDraws: number;
}

/** One network's slice of kernel memory, laid out once from its config. */
export class Arena {
  readonly kernel: Kernel;
  readonly config: ResolvedConfig;
  readonly layout: Layout;
  /** Byte offset of the arena in kernel memory. */
  readonly base: number;
  readonly current: CurrentBatch = { rows: 0, nnz: 0, candidates: 0, dropoutDraws: 0 };
  /** Adam steps taken (the bias-correction step count). */
  steps = 0;

  constructor(kernel: Kernel, config: ResolvedConfig) {
    this.kernel = kernel;
    this.config = config;
    this.layout = planNet(config);
    this.base = kernel.alloc(this.layout.bytes);
  }

  /** True when the plan has this tensor (e.g. `p:Wp` only with a projection). */
  has(name: string): boolean {
    return this.layout.slots.has(name);
  }

  /** Byte offset of a tensor (`p:W0`, `g:E`, `m:`/`v:` moments, `z0`, `logits`, …). */
  at(name: string): number {
    const slot = this.layout.slots.get(name);
    if (!slot) throw internal(`network has no tensor "${name}"`);
    return this.base + slot.offset;
  }

  /** Element count of a tensor. */
  length(name: string): number {
    this.at(name);
    return this.layout.slots.get(name)!.length;
  }

  /** A float32 view of a tensor (re-take it after anything allocates more kernel memory). */
  f32(name: string, length = this.length(name)): Float32Array {
    return this.kernel.f32(this.at(name), length);
  }

  /** An int32 view of a tensor. */
  i32(name: string, length = this.length(name)): Int32Array {
    return this.kernel.i32(this.at(name), length);
  }
}
