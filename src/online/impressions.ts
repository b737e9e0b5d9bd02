/** Impressions: every recommendation answer as shown, kept in a bounded buffer and written in batches. */
import { appendRows } from "../db/bulk.ts";
import type { Sql } from "../db/types.ts";
import type { Metrics } from "../observability/metrics.ts";
import { RowBuffer } from "./row_buffer.ts";

/** Which model answered: production, the staging canary, or the visitor's browser. */
export type Arm = "production" | "staging" | "browser";

/** One answer as shown. `movieIds[i]` is at position i + 1. */
export interface Impression {
  id: string;
  model: string;
  userId: number | null;
  visitorId: string | null;
  version: number | null;
  arm: Arm;
  strategy: "model" | "popularity" | "similar";
  movieIds: number[];
  shownAt: Date;
}

/** Options of {@link ImpressionLog}. */
export interface ImpressionLogOptions {
  metrics?: Metrics;
  /** Impressions held in memory at most (REELRANK_IMPRESSION_BUFFER, default 10,000). */
  maxRows?: number;
  /** Flush period (default 1,000 ms; 0: only on `batchRows` and close). */
  flushMs?: number;
  batchRows?: number;
  /** Rows per insert statement at most (default: one statement per flush); see {@link sliceRowsFor}. */
  sliceRows?: number;
  /** Waited for between two statements of a flush (default `setTimeout(0)`). */
  pause?: () => Promise<void>;
}

/**
 * Rows per insert statement on PGlite. It runs on the thread that answers HTTP, and an insert costs
 * it about 0.9 ms plus 21 µs per row (README, Results → Serving), so a 500-row batch in one
 * statement held every request for about 11 ms; 64 rows hold them about 2.2 ms at a time (measured
with bench serve: users' p99 15.2 → 10.9 ms, throughput −17 %; README, Online evaluation).
 */
export const PGLITE_SLICE_ROWS = 64;

/**
 * Rows per statement for a backend: PostgreSQL runs inserts in its own processes, so a whole flush
 * stays one statement (one round trip); PGlite gets {@link PGLITE_SLICE_ROWS}.
 */
export function sliceRowsFor(kind: "postgres" | "pglite"): number | undefined {
  return kind === "pglite" ? PGLITE_SLICE_ROWS : undefined;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * A new impression id, 32 hex digits: the time in milliseconds (12 digits), then 80 random bits.
 * Ids made one after the other sort together, so the primary key grows at its right edge instead
 * of touching a random page per insert.
 */
export function newImpressionId(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let id = "imp-" + now.toString(16).padStart(12, "0").slice(-12);
  for (const b of bytes) id += HEX[b];
  return id;
}

/** Stores impressions in one statement; a retried batch changes nothing. */
export async function insertImpressions(db: Sql, rows: readonly Impression[]): Promise<void> {
  await appendRows(db, "impressions", {
    columns: {
      id: "text",
      model: "text",
      user_id: "int8",
      visitor_id: "text",
      version: "int4",
      arm: "text",
      strategy: "text",
      movie_ids: "int8[]",
      shown_at: "timestamptz",
    },
    rows: rows.map((r) => [
      r.id,
      r.model,
      r.userId,
      r.visitorId,
      r.version,
      r.arm,
      r.strategy,
      r.movieIds,
      r.shownAt.toISOString(),
    ]),
    onConflict: { target: ["id"] },
  });
}

/**
 * The impressions of this process: recorded without waiting, written every second (in statements
 * of at most `sliceRows`, with the event loop free between them).
 */
export class ImpressionLog {
  readonly #db: Sql;
  readonly #buffer: RowBuffer<Impression>;
  readonly #metrics?: Metrics;

  constructor(db: Sql, options: ImpressionLogOptions = {}) {
    this.#db = db;
    this.#metrics = options.metrics;
    const m = options.metrics;
    this.#buffer = new RowBuffer({
      write: (rows) => insertImpressions(db, rows),
      maxRows: options.maxRows,
      flushMs: options.flushMs,
      batchRows: options.batchRows,
      sliceRows: options.sliceRows,
      pause: options.pause,
      onDrop: (reason, n) => m?.impressionsDropped.inc({ reason }, n),
      onWrite: (n) => m?.impressionsWritten.inc(n),
    });
  }

  /** Queues `impression` (dropped and counted when the buffer is full). */
  record(impression: Impression): void {
    if (this.#buffer.add(impression)) {
      this.#metrics?.impressions.inc({ arm: impression.arm, strategy: impression.strategy });
    }
  }

  /** The impression `id`, waiting here or stored; null when neither. */
  async find(id: string): Promise<Impression | null> {
    const waiting = this.#buffer.pending.find((r) => r.id === id);
    if (waiting) return waiting;
    const [r] = await this.#db.query<{
      id: string;
      model: string;
      user_id: number | null;
      visitor_id: string | null;
      version: number | null;
      arm: Arm;
      strategy: Impression["strategy"];
      movie_ids: number[];
      shown_at: Date;
    }>("SELECT * FROM impressions WHERE id = $1", [id]);
    if (!r) return null;
    return {
      id: r.id,
      model: r.model,
      userId: r.user_id === null ? null : Number(r.user_id),
      visitorId: r.visitor_id,
      version: r.version,
      arm: r.arm,
      strategy: r.strategy,
      movieIds: r.movie_ids.map(Number),
      shownAt: r.shown_at,
    };
  }

  /** Writes what is waiting now. */
  flush(): Promise<void> {
    return this.#buffer.flush();
  }

  /** Writes what is waiting and stops (the server's shutdown calls it). */
  close(): Promise<void> {
    return this.#buffer.close();
  }
}
