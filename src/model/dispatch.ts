/** How the passes hand kernel ops to the thread pool: which ops split, by what, and when it pays. */
import type { Mlp } from "./mlp.ts";

/** A matrix product split over output columns. */
export interface DenseOp {
  name: string;
  args: number[];
  /** Multiply-adds: below config.parallelMin the op stays on one thread. */
  macs: number;
  /** Output columns (the split dimension). */
  cols: number;
}

/** An elementwise-cost op split over [0, total). */
export interface SplitOp {
  name: string;
  args: number[];
  total: number;
  /** Elements touched: below config.parallelMin / 4 the op stays on one thread. */
  work: number;
  /** Range units per claimed chunk. */
  chunk: number;
}

/** Runs a product, split across threads when its size pays for a sync. */
export function denseOp(mlp: Mlp, op: DenseOp): void {
  mlp.kernel.parallel(op.name, {
    args: op.args,
    total: op.cols,
    chunk: op.cols >= 1024 ? 64 : 32,
    minTotal: op.macs >= mlp.config.parallelMin ? 0 : Infinity,
  });
}

/** Runs an elementwise op, split when its size pays for a sync; returns the summed results. */
export function splitOp(mlp: Mlp, op: SplitOp): number {
  return mlp.kernel.parallel(op.name, {
    args: op.args,
    total: op.total,
    chunk: op.chunk,
    minTotal: op.work >= mlp.config.parallelMin / 4 ? 0 : Infinity,
  });
}
