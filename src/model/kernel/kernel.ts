/** Loads the WASM kernel on one shared memory, owns the arena allocator and the worker pool. */
import { internal, invalid, ReelrankError } from "../../errors.ts";
import {
  ABI,
  type ArgsOf,
  checkAbi,
  type OpName,
  positional,
  rangeOf,
  type RangeOp,
} from "./abi.ts";
import { CLAIM_BITS, CTRL, runChunks, type WorkerInit } from "./protocol.ts";

/** A raw kernel export: byte offsets and dimensions in, at most one number out. */
type KernelFn = (...args: number[]) => number;

/** How {@link Kernel.split} divides a range op over the threads. */
export interface SplitOptions {
  /** Range units per claimed chunk (default 64). */
  chunk?: number;
  /** Keep the call on the main thread (too small to pay for a sync). */
  serial?: boolean;
}

/** Options for {@link Kernel.create}. */
export interface KernelOptions {
  /** Threads including the main thread (default: min(2, hardware concurrency)). */
  threads?: number;
  /** Where to read the compiled kernel; default wasm/build/kernel.wasm next to the sources. */
  wasmUrl?: URL;
  /** The kernel already compiled (a browser fetches and compiles it itself): skips the read. */
  module?: WebAssembly.Module;
  /** Initial memory in MiB (grows on demand up to the module's maximum, 2 GiB). */
  initialMiB?: number;
  /**
   * Busy-wait iterations before the main thread sleeps waiting for workers (default 20000 when the
   * 1-minute load average is under 3/4 of the cores at creation, else 2000).
   */
  spin?: number;
  /**
   * Busy-wait iterations before a worker with no job sleeps (default 50000 on an idle machine,
   * else 2000): longer covers the gaps between the jobs of a training step.
   */
  workerSpin?: number;
}

const PAGE = 65536;
const MAX_PAGES = 32768;
const DEFAULT_WASM = new URL("../../../wasm/build/kernel.wasm", import.meta.url);

/**
 * The kernel: one shared `WebAssembly.Memory`, the main thread's instance, a bump allocator for the
 * arena and `threads − 1` workers that run column/row ranges of the big products.
 */
export class Kernel {
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  #fn: Record<OpName, KernelFn>;
  #module: WebAssembly.Module;
  #workers: Worker[] = [];
  #ctrl = 0;
  #fns: KernelFn[] = [];
  #names: string[];
  #ids: Map<string, number>;
  #top: number;
  #seq = 0;
  #closed = false;
  #spin = 2_000;

  private constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    fn: Record<OpName, KernelFn>,
    threads: number,
  ) {
    this.#module = module;
    this.memory = memory;
    this.#fn = fn;
    this.threads = threads;
    this.#names = WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) =>
      e.name
    );
    this.#ids = new Map(this.#names.map((n, i) => [n, i]));
    this.#fns = this.#names.map((n) => fn[n as OpName]);
    this.#top = align(fn.heapBase(), 64);
  }

  /** Compiles and instantiates the kernel and starts its workers (await it once, then reuse). */
  static async create(options: KernelOptions = {}): Promise<Kernel> {
    const threads = options.threads ?? Math.min(2, navigator.hardwareConcurrency || 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw invalid(`kernel threads must be an integer in 1..64, got ${threads}`);
    }
    const module = options.module ?? await compileFile(options.wasmUrl ?? DEFAULT_WASM);
    const pages = Math.max(64, Math.ceil(((options.initialMiB ?? 16) * 1048576) / PAGE));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    checkAbi(instance.exports);
    const kernel = new Kernel(
      module,
      memory,
      instance.exports as unknown as Record<OpName, KernelFn>,
      threads,
    );
    const scratchBytes = kernel.#fn.scratchBytes();
    kernel.#fn.setScratch(kernel.alloc(scratchBytes));
    // Spinning keeps a waiting thread hot between the jobs of a step, which pays on idle cores but
    // steals time from the other thread when the machine is oversubscribed.
    const idle = loadAverage() < 0.75 * (navigator.hardwareConcurrency || 1);
    kernel.#spin = options.spin ?? (idle ? 20_000 : 2_000);
    await kernel.#startWorkers(scratchBytes, options.workerSpin ?? (idle ? 50_000 : 2_000));
    return kernel;
  }

  async #startWorkers(scratchBytes: number, spin: number): Promise<void> {
    const ready: Promise<void>[] = [];
    const ctrl = this.#ctrl = this.alloc(CTRL.BYTES);
    for (let t = 1; t < this.threads; t++) {
      const scratch = this.alloc(scratchBytes);
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      this.#workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.onmessage = () => resolve();
          worker.onerror = (e) => {
            e.preventDefault();
            reject(
              internal(`kernel worker ${t} failed to start: ${e.message}`, { cause: e.error }),
            );
          };
        }),
      );
      const init: WorkerInit = {
        module: this.#module,
        memory: this.memory,
        ctrl,
        scratch,
        names: this.#names,
        spin,
      };
      worker.postMessage(init);
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Reserves `bytes` of zeroed arena memory (64-byte aligned), growing the memory if needed. */
  alloc(bytes: number, alignment = 64): number {
    const offset = align(this.#top, alignment);
    const end = offset + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw internal(`kernel arena would need ${end} bytes, more than the 2 GiB maximum`);
      }
      this.memory.grow(pages);
    }
    this.#top = end;
    return offset;
  }

  /** A float32 view of `length` elements at byte `offset` (re-take views after alloc grows memory). */
  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  /** A uint8 view of `length` bytes at byte `offset`. */
  u8(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  /** An int32 view of `length` elements at byte `offset`. */
  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }

  /**
   * Calls op `name` once on this thread with named arguments; a range op computes its whole range,
   * or `range` = [lo, hi) when given (what one thread's share would be). Returns the op's result.
   */
  run<N extends OpName>(name: N, args: ArgsOf<N>, range?: readonly [number, number]): number {
    const a = positional(name, args);
    if ("over" in ABI[name]) {
      const [lo, hi] = range ?? [0, rangeOf(name as RangeOp, args as never)];
      a.push(lo, hi);
    }
    return this.#fn[name](...a) ?? 0;
  }

  /**
   * Runs range op `name` over its whole range [0, total): the range is cut into chunks of
   * `chunk` units (default 64) that the main thread and the workers claim dynamically, so a thread
   * the OS delays does not stall the others. Returns the sum of the chunks' results, added in chunk
   * order (deterministic). With one thread, after close(), or with `serial`: one call.
   */
  split<N extends RangeOp>(name: N, args: ArgsOf<N>, options: SplitOptions = {}): number {
    const total = rangeOf(name, args);
    const a = positional(name, args);
    const f = this.#fn[name];
    if (this.#workers.length === 0 || options.serial || total <= 0) {
      return f(...a, 0, total) ?? 0;
    }
    const chunk = Math.max(options.chunk ?? 64, Math.ceil(total / CTRL.MAX_CHUNKS));
    const n = Math.ceil(total / chunk);
    if (n <= 1) return f(...a, 0, total) ?? 0;
    return this.#parallel(name, a, { total, chunk, n });
  }

  #parallel(
    name: OpName,
    args: number[],
    job: { total: number; chunk: number; n: number },
  ): number {
    const { total, chunk, n } = job;
    if (args.length > CTRL.MAX_ARGS) {
      throw internal(`kernel call ${name} has ${args.length} arguments, at most ${CTRL.MAX_ARGS}`);
    }
    const i32 = new Int32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    const ctrl = this.#ctrl;
    const base = ctrl >> 2;
    // Publish: tag first (stale claims stop matching), then the job, then open the claim counter.
    const tag = (this.#seq = (this.#seq + 1) & 0x7ff) || (this.#seq = 1);
    Atomics.store(i32, base + CTRL.TAG, tag);
    for (let i = 0; i < args.length; i++) f64[((ctrl + CTRL.ARGS) >> 3) + i] = args[i];
    Atomics.store(i32, base + CTRL.FN, this.#ids.get(name)!);
    Atomics.store(i32, base + CTRL.NARGS, args.length);
    Atomics.store(i32, base + CTRL.TOTAL, total);
    Atomics.store(i32, base + CTRL.CHUNK, chunk);
    Atomics.store(i32, base + CTRL.NCHUNKS, n);
    Atomics.store(i32, base + CTRL.DONE, 0);
    Atomics.store(i32, base + CTRL.FAILED, 0);
    Atomics.store(i32, base + CTRL.CLAIM, tag << CLAIM_BITS);
    // SEQ only has to change (workers wait for "not what I saw"); wrap well before the sign bit.
    Atomics.store(i32, base + CTRL.SEQ, (Atomics.load(i32, base + CTRL.SEQ) + 1) & 0x3fffffff);
    Atomics.notify(i32, base + CTRL.SEQ);
    const error = runChunks({ i32, f64, ctrl }, this.#fns);
    // Spin a little, then sleep: on a busy machine a spinning main thread would steal the core a
    // worker needs to finish its last chunk.
    let spins = 0;
    for (
      let done = Atomics.load(i32, base + CTRL.DONE);
      done < n;
      done = Atomics.load(i32, base + CTRL.DONE)
    ) {
      if (++spins > this.#spin) Atomics.wait(i32, base + CTRL.DONE, done);
    }
    if (Atomics.load(i32, base + CTRL.FAILED)) {
      throw internal(
        `kernel op ${name} failed in a thread: ${
          (error as Error)?.message ?? "see the worker's error"
        }`,
        { cause: error },
      );
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += f64[((ctrl + CTRL.RESULTS) >> 3) + i];
    return sum;
  }

  /** Stops the workers; the main-thread instance stays usable single-threaded. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#workers.length > 0) {
      const i32 = new Int32Array(this.memory.buffer);
      Atomics.store(i32, (this.#ctrl >> 2) + CTRL.SEQ, -1);
      Atomics.notify(i32, (this.#ctrl >> 2) + CTRL.SEQ);
    }
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}

async function compileFile(url: URL): Promise<WebAssembly.Module> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(url);
  } catch (cause) {
    throw new ReelrankError(
      "UNAVAILABLE",
      `kernel not built: cannot read ${url.pathname}; run \`deno task build\``,
      { cause, permanent: true },
    );
  }
  return await WebAssembly.compile(bytes);
}

// The 1-minute load average, or Infinity when it cannot be read (no --allow-sys, not Unix).
function loadAverage(): number {
  try {
    return Deno.loadavg()[0];
  } catch {
    return Infinity;
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
