/** A request spacer: at most `perSecond` calls start per second, with an injectable clock for tests. */

/** Sleeps `ms` milliseconds; rejects when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep: a timer that is cleared on abort. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Spaces calls `1000 / perSecond` ms apart. Slots are reserved synchronously, so concurrent callers
 * queue up in call order without a lock.
 */
export class RateLimiter {
  readonly #interval: number;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  #nextAt = -Infinity;

  constructor(opts: { perSecond: number; now?: () => number; sleep?: Sleep }) {
    if (!(opts.perSecond > 0)) {
      throw new RangeError(
        `rate limit must be a positive number of requests per second, got ${opts.perSecond}`,
      );
    }
    this.#interval = 1000 / opts.perSecond;
    this.#now = opts.now ?? (() => performance.now());
    this.#sleep = opts.sleep ?? realSleep;
  }

  /** Waits until the caller may start its request. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    const at = Math.max(now, this.#nextAt);
    this.#nextAt = at + this.#interval;
    if (at > now) await this.#sleep(at - now, signal);
  }
}
