/** Outcomes: a click or a watch on a movie an impression showed, stored once per impression, type and position. */
import type { Sql } from "../db/types.ts";
import { invalid, notFound } from "../errors.ts";
import type { ImpressionLog } from "./impressions.ts";

/** What an event says about an impression. */
export interface OutcomeInput {
  impressionId: string;
  type: "click" | "watch";
  movieId: number;
  /** 1-based; default: where the impression showed `movieId`. */
  position?: number;
  eventId: string;
}

/** A stored outcome; `duplicate` when the same impression, type and position had one already. */
export interface StoredOutcome {
  impressionId: string;
  type: "click" | "watch";
  position: number;
  movieId: number;
  duplicate: boolean;
}

/**
 * Checks the outcome against its impression (waiting in memory or stored) and stores it. Throws
 * NOT_FOUND for an unknown impression and INVALID_PARAMETER when the impression did not show
 * `movieId` (at `position`, when given).
 */
export async function recordOutcome(
  db: Sql,
  input: OutcomeInput,
  deps: { impressions: Pick<ImpressionLog, "find">; now: Date },
): Promise<StoredOutcome> {
  const position = await checkOutcome(input, deps);
  return await storeOutcome(db, { ...input, position }, deps);
}

/** The outcome's position once checked against its impression (throws as {@link recordOutcome}). */
export async function checkOutcome(
  input: OutcomeInput,
  deps: { impressions: Pick<ImpressionLog, "find"> },
): Promise<number> {
  const imp = await deps.impressions.find(input.impressionId);
  if (!imp) {
    throw notFound(
      `impressionId "${input.impressionId}" is not a known impression; send the impressionId of a recommendation answer`,
    );
  }
  const position = input.position;
  if (position === undefined) {
    const i = imp.movieIds.indexOf(input.movieId);
    if (i < 0) {
      throw invalid(
        `movieId ${input.movieId} was not shown by impression "${input.impressionId}"`,
      );
    }
    return i + 1;
  } else if (imp.movieIds[position - 1] !== input.movieId) {
    throw invalid(
      `position ${position}: impression "${input.impressionId}" showed ${
        imp.movieIds[position - 1] ?? "nothing"
      } there, not movieId ${input.movieId}`,
    );
  }
  return position;
}

/** Stores a checked outcome; a repeat of the same impression, type and position is a duplicate. */
export async function storeOutcome(
  db: Sql,
  input: OutcomeInput & { position: number },
  deps: { now: Date },
): Promise<StoredOutcome> {
  const { position } = input;
  const rows = await db.query(
    `INSERT INTO impression_outcomes (impression_id, type, position, movie_id, event_id, at)
     VALUES ($1, $2, $3, $4, $5, $6::timestamptz) ON CONFLICT DO NOTHING RETURNING 1`,
    [
      input.impressionId,
      input.type,
      position,
      input.movieId,
      input.eventId,
      deps.now.toISOString(),
    ],
  );
  return {
    impressionId: input.impressionId,
    type: input.type,
    position,
    movieId: input.movieId,
    duplicate: rows.length === 0,
  };
}
