/**
 * The micro-batcher: requests that arrive while a batch is being scored wait and go together in
 * the next one. An idle server scores a lone request at once (batch size 1); under load a batch
 * holds whatever arrived during the previous one, up to `maxBatch`.
 */

/** Options of {@link MicroBatcher}. */
export interface BatcherOptions {
  /** Most requests per call (default 64). */
  maxBatch?: number;
  /**
   * Starts a flush later: the default waits for the current macrotask to end (`setTimeout(fn, 0)`),
   * so requests parsed in the same turn of the event loop share a batch. Tests pass their own.
   */
  schedule?: (flush: () => void) => void;
  /** Called after every batch with its size and duration (metrics). */
  onBatch?: (size: number, seconds: number) => void;
}

interface Waiting<Req, Res> {
  req: Req;
  resolve: (res: Res) => void;
  reject: (err: unknown) => void;
}

/** Gathers concurrent requests into calls of `run`, one call in flight at a time. */
export class MicroBatcher<Req, Res> {
  readonly #run: (batch: Req[]) => Promise<Res[]>;
  readonly #max: number;
  readonly #schedule: (flush: () => void) => void;
  readonly #onBatch?: (size: number, seconds: number) => void;
  #queue: Waiting<Req, Res>[] = [];
  #busy = false;
  #idle: (() => void)[] = [];

  constructor(run: (batch: Req[]) => Promise<Res[]>, options: BatcherOptions = {}) {
    this.#run = run;
    this.#max = options.maxBatch ?? 64;
    this.#schedule = options.schedule ?? ((fn) => setTimeout(fn, 0));
    this.#onBatch = options.onBatch;
  }

  /** Requests queued or being scored. */
  get pending(): number {
    return this.#queue.length + (this.#busy ? 1 : 0);
  }

  /** Queues `req`; resolves with its own answer (or rejects with the batch's error). */
  submit(req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.#queue.push({ req, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        this.#schedule(() => void this.#flush());
      }
    });
  }

  /** Resolves once nothing is queued or in flight (a retiring model waits for this). */
  drained(): Promise<void> {
    if (!this.#busy && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#max);
      const started = performance.now();
      try {
        const out = await this.#run(batch.map((w) => w.req));
        batch.forEach((w, i) => w.resolve(out[i]));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      this.#onBatch?.(batch.length, (performance.now() - started) / 1000);
    }
    this.#busy = false;
    for (const fn of this.#idle.splice(0)) fn();
  }
}
