/** How the passes hand kernel ops to the thread pool: which ops split, in what chunks, and when it pays. */
import type { ArgsOf, RangeOp } from "../kernel/abi.ts";
import { rangeOf } from "../kernel/abi.ts";
import type { Arena } from "./arena.ts";

/**
 * A matrix product split over its output columns (the op's range), on one thread when it has
 * fewer multiply-adds than config.parallelMin (a sync would cost more than it saves).
 */
export function product<N extends RangeOp>(
  a: Arena,
  name: N,
  args: ArgsOf<N> & { macs?: never },
  macs: number,
): void {
  const cols = rangeOf(name, args);
  a.kernel.split(name, args, {
    chunk: cols >= 1024 ? 64 : 32,
    serial: macs < a.config.parallelMin,
  });
}

/**
 * An op whose cost is `work` elements touched, split in chunks of `chunk` range units when the
 * work pays for a sync; returns the summed chunk results (e.g. a loss).
 */
export function elementwise<N extends RangeOp>(
  a: Arena,
  name: N,
  args: ArgsOf<N>,
  options: { work: number; chunk: number },
): number {
  return a.kernel.split(name, args, {
    chunk: options.chunk,
    serial: options.work < a.config.parallelMin / 4,
  });
}
