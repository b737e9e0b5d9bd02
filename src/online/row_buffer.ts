/**
 * A bounded in-memory buffer of rows written to the database in batches, off the request path:
 * every `flushMs` (so a crash loses at most that much), whenever `batchRows` are waiting, and on
 * close. Over `maxRows` waiting, new rows are dropped and counted: memory stays bounded when the
 * database is slow or down. With `sliceRows`, a flush writes its rows in statements of at most
 * that many, in order, and lets the event loop run between them: a database on the same thread
 * (PGlite) then never holds requests for a whole batch at once.
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
  /** Rows per write at most (default: a flush is one write); a flush of more writes slices. */
  sliceRows?: number;
  /**
   * Waited for between two slices (default: a macrotask, `setTimeout(0)`, so the timers and I/O
   * waiting, requests among them, run first; a microtask would not let them).
   */
  pause?: () => Promise<void>;
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Rows waiting to be written. */
export class RowBuffer<T> {
  readonly #o: RowBufferOptions<T>;
  readonly #max: number;
  readonly #batch: number;
  readonly #slice: number;
  readonly #pause: () => Promise<void>;
  #rows: T[] = [];
  // The batch being written: no longer waiting, not yet stored.
  #inflight: T[] = [];
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  // Closing: no new rows; closed: a failed write is not kept either (no flush will follow).
  #closing = false;
  #closed = false;

  constructor(options: RowBufferOptions<T>) {
    this.#o = options;
    this.#max = options.maxRows ?? 10_000;
    this.#batch = options.batchRows ?? 500;
    this.#slice = Math.max(1, options.sliceRows ?? Infinity);
    this.#pause = options.pause ?? macrotask;
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
    if (this.#closing || this.#rows.length >= this.#max) {
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

  // Writes `rows` slice by slice, pausing between slices; `#inflight` keeps the rows not stored yet.
  async #write(rows: T[]): Promise<void> {
    let done = 0;
    try {
      while (done < rows.length) {
        if (done > 0) await this.#pause();
        const slice = rows.length <= this.#slice ? rows : rows.slice(done, done + this.#slice);
        await this.#o.write(slice);
        done += slice.length;
        this.#inflight = rows.slice(done);
        this.#o.onWrite?.(slice.length);
      }
    } catch (err) {
      // Put the unwritten rows back in front while there is room (the next flush retries them, in
      // order); drop the rest.
      const left = rows.slice(done);
      const room = this.#closed ? 0 : Math.max(0, this.#max - this.#rows.length);
      const kept = left.slice(0, room);
      this.#rows = [...kept, ...this.#rows];
      if (left.length > kept.length) this.#o.onDrop?.("error", left.length - kept.length);
      log.warn("could not write a batch of rows; kept for the next flush while there is room", {
        rows: left.length,
        kept: kept.length,
        error: err,
      });
    }
  }

  /**
   * Stops the timer and writes everything recorded before the call, every slice of it; rows
   * recorded from now on are dropped (and counted).
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closing = true;
    await this.flush();
    this.#closed = true;
    if (this.#rows.length) this.#o.onDrop?.("error", this.#rows.length);
    this.#rows = [];
  }
}
