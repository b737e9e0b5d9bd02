/** Per-user watch histories held in memory for serving, in protocol order (timestamp, then movie id). */
import type { InteractionColumns } from "../data/queries.ts";

interface History {
  movies: number[];
  ts: number[];
}

/** Every user's history, loaded once at start and kept current by events. */
export class UserHistories {
  readonly #byUser = new Map<number, History>();

  /** Builds the histories from columns sorted by (user, ts, movie), as `loadInteractions` returns. */
  static fromColumns(cols: InteractionColumns): UserHistories {
    const out = new UserHistories();
    let cur: History | undefined;
    let user = NaN;
    for (let i = 0; i < cols.length; i++) {
      if (cols.user[i] !== user) {
        user = cols.user[i];
        cur = { movies: [], ts: [] };
        out.#byUser.set(user, cur);
      }
      cur!.movies.push(cols.movie[i]);
      cur!.ts.push(cols.ts[i]);
    }
    return out;
  }

  /** Number of users with at least one interaction. */
  get size(): number {
    return this.#byUser.size;
  }

  /** A user's movie ids, oldest first; undefined for a user without interactions. */
  get(userId: number): readonly number[] | undefined {
    return this.#byUser.get(userId)?.movies;
  }

  /** Every user id with a history. */
  users(): number[] {
    return [...this.#byUser.keys()];
  }

  /**
   * Adds a watched movie at its place in protocol order. Returns false (and changes nothing) when
   * the user already has it: the stored interaction keeps its first timestamp.
   */
  add(userId: number, entry: { movie: number; ts: number }): boolean {
    const { movie: movieId, ts } = entry;
    let h = this.#byUser.get(userId);
    if (!h) this.#byUser.set(userId, h = { movies: [], ts: [] });
    if (h.movies.includes(movieId)) return false;
    let i = h.movies.length;
    while (i > 0 && (h.ts[i - 1] > ts || (h.ts[i - 1] === ts && h.movies[i - 1] > movieId))) i--;
    h.movies.splice(i, 0, movieId);
    h.ts.splice(i, 0, ts);
    return true;
  }

  /** Replaces a user's history (entries in protocol order), e.g. after another server's event. */
  replace(userId: number, entries: readonly { movie: number; ts: number }[]): void {
    if (entries.length === 0) this.#byUser.delete(userId);
    else {
      this.#byUser.set(userId, {
        movies: entries.map((e) => e.movie),
        ts: entries.map((e) => e.ts),
      });
    }
  }

  /** How many users watched each movie. */
  counts(): Map<number, number> {
    const out = new Map<number, number>();
    for (const h of this.#byUser.values()) {
      for (const m of h.movies) out.set(m, (out.get(m) ?? 0) + 1);
    }
    return out;
  }
}
