/**
 * A bounded in-memory buffer of rows written to the database in batches, off the request path:
 * every `flushMs` (so a crash loses at most that much), whenever `batchRows` are waiting, and on
 * close. Over `maxRows` waiting, new rows are dropped and counted: memory stays bounded when the
 * database is slow or down.
 */
import { getLogger } from "../log.ts";

const log = getLogger("online/row_buffer");

/** Options of {@link RowBuffer}. */
export interface RowBufferOptions<T> {
  /** Writes one batch (one statement); a failure puts the batch back while there is room. */
  write(rows: readonly T[]): Promise<void>;
  /** Rows held at most (default 10,000). */
  maxRows?: number;
  /** A flush starts as soon as this many rows wait (default 500). */
  batchRows?: number;
  /** Flush period in ms (default 1,000); 0 leaves flushing to `batchRows` and `flush()`. */
  flushMs?: number;
  /** Called for each row dropped: `full` (over maxRows) or `error` (a failed write it could not keep). */
  onDrop?: (reason: "full" | "error", rows: number) => void;
  /** Called after each successful write with its size. */
  onWrite?: (rows: number) => void;
}

/** Rows waiting to be written. */
export class RowBuffer<T> {
  readonly #o: RowBufferOptions<T>;
  readonly #max: number;
  readonly #batch: number;
  #rows: T[] = [];
  // The batch being written: no longer waiting, not yet stored.
  #inflight: T[] = [];
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: RowBufferOptions<T>) {
    this.#o = options;
    this.#max = options.maxRows ?? 10_000;
    this.#batch = options.batchRows ?? 500;
    const ms = options.flushMs ?? 1_000;
    if (ms > 0) {
      this.#timer = setInterval(() => void this.flush(), ms);
      // A flush timer must not keep a finished CLI alive; close() flushes what is left.
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Rows not stored yet: waiting, or in the batch being written. */
  get pending(): readonly T[] {
    return this.#inflight.length ? [...this.#inflight, ...this.#rows] : this.#rows;
  }

  /** Queues `row`; false (and counted) when the buffer is full or closed. Never waits. */
  add(row: T): boolean {
    if (this.#closed || this.#rows.length >= this.#max) {
      this.#o.onDrop?.("full", 1);
      return false;
    }
    this.#rows.push(row);
    if (this.#rows.length >= this.#batch) void this.flush();
    return true;
  }

  /** Writes everything waiting (one flush at a time; a call during one waits for it, then flushes again). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    this.#rows = [];
    this.#inflight = rows;
    this.#flushing = this.#write(rows).finally(() => {
      this.#inflight = [];
      this.#flushing = null;
    });
    await this.#flushing;
  }

  async #write(rows: T[]): Promise<void> {
    try {
      await this.#o.write(rows);
      this.#o.onWrite?.(rows.length);
    } catch (err) {
      // Put the batch back in front while there is room (the next flush retries it); drop the rest.
      const room = this.#closed ? 0 : Math.max(0, this.#max - this.#rows.length);
      const kept = rows.slice(0, room);
      this.#rows = [...kept, ...this.#rows];
      if (rows.length > kept.length) this.#o.onDrop?.("error", rows.length - kept.length);
      log.warn("could not write a batch of rows; kept for the next flush while there is room", {
        rows: rows.length,
        kept: kept.length,
        error: err,
      });
    }
  }

  /** Stops the timer and writes what is waiting; later rows are dropped. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    this.#closed = true;
    if (this.#rows.length) this.#o.onDrop?.("error", this.#rows.length);
    this.#rows = [];
  }
}
