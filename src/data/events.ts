/** Events posted by applications (a watch, a rating): stored once per eventId and folded into interactions. */
import type { Sql } from "../db/types.ts";
import { ReelrankError } from "../errors.ts";

/** The NOTIFY channel a stored event announces itself on (payload: the user id). */
export const EVENT_CHANNEL = "reelrank_events";

/** What a client reports: `eventId` makes a retried POST harmless. */
export interface EventInput {
  eventId: string;
  userId: number;
  movieId: number;
  type: "watch" | "rate";
  /** Stars 0.5–5, for `rate`. */
  rating?: number;
  watchSeconds?: number;
  /** When it happened, seconds since the epoch; default: when it was received. */
  timestamp?: number;
}

/** A stored event; `duplicate` when the same eventId had been stored before (nothing changed). */
export interface StoredEvent {
  eventId: string;
  userId: number;
  movieId: number;
  type: "watch" | "rate";
  rating: number | null;
  watchSeconds: number | null;
  timestamp: number;
  duplicate: boolean;
  /** True when the movie is new in the user's history (not merely re-rated or re-watched). */
  newInteraction: boolean;
}

type EventRow = {
  user_id: number;
  movie_id: number;
  type: string;
  rating: number | null;
  watch_seconds: number | null;
  ts: number;
};

function same(row: EventRow, e: EventInput): boolean {
  return row.user_id === e.userId && row.movie_id === e.movieId && row.type === e.type &&
    row.rating === (e.rating ?? null) && row.watch_seconds === (e.watchSeconds ?? null) &&
    (e.timestamp === undefined || row.ts === Math.floor(e.timestamp));
}

/**
 * Stores `event` idempotently in one transaction: the events row keyed by eventId, the user (source
 * `event`) when new, and the interaction (source `event`; an existing one keeps its first timestamp
 * and takes the new rating or the longer watch). Throws NOT_FOUND for an unknown movie and CONFLICT
 * when the eventId was already used for a different event.
 */
export function recordEvent(
  db: Sql,
  event: EventInput,
  options: { now: Date },
): Promise<StoredEvent> {
  const ts = Math.floor(event.timestamp ?? options.now.getTime() / 1000);
  const rating = event.rating ?? null;
  const watchSeconds = event.watchSeconds ?? null;
  const base = { ...event, rating, watchSeconds, timestamp: ts };
  return db.transaction(async (tx) => {
    const movie = await tx.query("SELECT 1 FROM movies WHERE id = $1", [event.movieId]);
    if (movie.length === 0) {
      throw new ReelrankError("NOT_FOUND", `movieId ${event.movieId} is not a known movie`);
    }
    const inserted = await tx.query(
      `INSERT INTO events (event_id, user_id, movie_id, type, rating, watch_seconds, ts, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz) ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        event.eventId,
        event.userId,
        event.movieId,
        event.type,
        rating,
        watchSeconds,
        ts,
        options.now.toISOString(),
      ],
    );
    if (inserted.length === 0) {
      const [row] = await tx.query<EventRow>(
        "SELECT user_id, movie_id, type, rating, watch_seconds, ts FROM events WHERE event_id = $1",
        [event.eventId],
      );
      if (!same(row, event)) {
        throw new ReelrankError(
          "CONFLICT",
          `eventId "${event.eventId}" was already used for another event (user ${row.user_id}, movie ${row.movie_id}, ${row.type}); send a new eventId`,
        );
      }
      return { ...base, timestamp: row.ts, duplicate: true, newInteraction: false };
    }
    await tx.query(
      `INSERT INTO users (id, source, external_id) VALUES ($1::int8, 'event', ($1::int8)::text)
       ON CONFLICT DO NOTHING`,
      [event.userId],
    );
    const [up] = await tx.query<{ inserted: boolean }>(
      `INSERT INTO interactions (user_id, movie_id, ts, rating, watch_seconds, source)
       VALUES ($1, $2, $3, $4, $5, 'event')
       ON CONFLICT (user_id, movie_id) DO UPDATE SET
         rating = COALESCE(excluded.rating, interactions.rating),
         watch_seconds = GREATEST(interactions.watch_seconds, excluded.watch_seconds)
       RETURNING (xmax = 0) AS inserted`,
      [event.userId, event.movieId, ts, rating, watchSeconds],
    );
    await tx.query("SELECT pg_notify($1, $2)", [EVENT_CHANNEL, String(event.userId)]);
    return { ...base, duplicate: false, newInteraction: up.inserted };
  });
}
