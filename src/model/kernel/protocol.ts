/** The shared-memory job protocol between the kernel's main thread and its workers. */

/**
 * One job slot shared by all threads. Int32 fields (index = byte offset / 4): SEQ wakes workers
 * (< 0 asks them to exit); TAG identifies the job; CLAIM hands out chunks as (tag << 20 | index);
 * DONE counts finished chunks; FAILED is set when a chunk threw (a wasm trap). Float64 ARGS hold
 * the call's arguments; RESULTS[i] the value returned by chunk i, summed in order by the main
 * thread so totals are deterministic.
 */
export const CTRL = {
  SEQ: 0,
  TAG: 1,
  FN: 2,
  NARGS: 3,
  NCHUNKS: 4,
  TOTAL: 5,
  CHUNK: 6,
  FAILED: 7,
  CLAIM: 16, // own cache line: every thread increments it
  DONE: 32, // own cache line
  ARGS: 192, // byte offset, float64
  MAX_ARGS: 24,
  RESULTS: 512, // byte offset, float64
  MAX_CHUNKS: 1024,
  BYTES: 512 + 8 * 1024,
};

/** Bits of CLAIM that hold the chunk index; the rest hold the job tag. */
export const CLAIM_BITS = 20;

/** Views of the shared memory and the control block's byte offset. */
export interface SharedViews {
  i32: Int32Array;
  f64: Float64Array;
  ctrl: number;
}

/** The message that starts a worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the shared control block. */
  ctrl: number;
  /** Byte offset of this worker's private scratch area. */
  scratch: number;
  /** Export names; a job's FN field indexes this list. */
  names: string[];
  /** Busy-wait iterations before sleeping on Atomics.wait. */
  spin: number;
}

/**
 * Claims and runs chunks of the current job until none is left; shared by the main thread and
 * the workers. Args are read after the claim and the tag re-checked after reading them, so a
 * claim that raced with the main thread publishing the next job is dropped, never run twice.
 * Never throws: a failing chunk sets FAILED and still counts as done (so nobody waits forever);
 * the first error is returned for the main thread to report.
 */
export function runChunks(shared: SharedViews, fns: ((...a: number[]) => number)[]): unknown {
  const { i32, f64, ctrl } = shared;
  const args: number[] = [];
  let error: unknown = undefined;
  const base = ctrl >> 2;
  for (;;) {
    const claim = Atomics.add(i32, base + CTRL.CLAIM, 1);
    const tag = claim >>> CLAIM_BITS;
    const index = claim & ((1 << CLAIM_BITS) - 1);
    if (Atomics.load(i32, base + CTRL.TAG) !== tag) return error;
    const n = Atomics.load(i32, base + CTRL.NCHUNKS);
    if (index >= n) return error;
    const fn = fns[Atomics.load(i32, base + CTRL.FN)];
    const nargs = Atomics.load(i32, base + CTRL.NARGS);
    const total = Atomics.load(i32, base + CTRL.TOTAL);
    const chunk = Atomics.load(i32, base + CTRL.CHUNK);
    args.length = nargs + 2;
    for (let i = 0; i < nargs; i++) args[i] = f64[((ctrl + CTRL.ARGS) >> 3) + i];
    if (Atomics.load(i32, base + CTRL.TAG) !== tag) return error;
    args[nargs] = index * chunk;
    args[nargs + 1] = Math.min(total, (index + 1) * chunk);
    try {
      f64[((ctrl + CTRL.RESULTS) >> 3) + index] = fn(...args) ?? 0;
    } catch (err) {
      error ??= err;
      Atomics.store(i32, base + CTRL.FAILED, 1);
    }
    Atomics.add(i32, base + CTRL.DONE, 1);
    Atomics.notify(i32, base + CTRL.DONE);
  }
}
