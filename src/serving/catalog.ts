/** The movies the server shows, held in memory: display fields, genres, and the popularity ranking. */
import type { MovieDisplay } from "../data/queries.ts";

/** TMDB's image CDN at the width the site uses. */
const TMDB_IMAGE_BASE = "https://image.tmdb.org/t/p/w342";

/** The poster URL for a TMDB poster path, or null when none is known. */
export function posterUrl(posterPath: string | null): string | null {
  return posterPath ? `${TMDB_IMAGE_BASE}${posterPath}` : null;
}

/** A movie as every API answer shows it. */
export interface MovieView {
  id: number;
  title: string;
  year: number | null;
  genres: string[];
  overview: string | null;
  posterUrl: string | null;
}

/** The public view of a stored movie. */
export function movieView(m: MovieDisplay): MovieView {
  return {
    id: m.id,
    title: m.title,
    year: m.year,
    genres: m.genres,
    overview: m.overview,
    posterUrl: posterUrl(m.posterPath),
  };
}

/** Movies by id with a popularity order (most watched first, ties by ascending id). */
export class Catalog {
  readonly #movies = new Map<number, MovieView>();
  // Each movie's view as JSON without its closing brace, made at first use (see itemJson).
  readonly #json = new Map<number, string>();
  readonly #byGenre = new Map<string, number[]>();
  #counts: Map<number, number>;
  #ranked: number[] | null = null;

  constructor(movies: readonly MovieDisplay[], counts: Map<number, number>) {
    for (const m of movies) {
      this.#movies.set(m.id, movieView(m));
      for (const g of m.genres) {
        const ids = this.#byGenre.get(g) ?? [];
        ids.push(m.id);
        this.#byGenre.set(g, ids);
      }
    }
    this.#counts = counts;
  }

  get(id: number): MovieView | undefined {
    return this.#movies.get(id);
  }

  /**
   * `JSON.stringify({ ...get(id), score })` without stringifying the view again: the view's JSON is
   * kept per movie, so an answer's items cost a few string joins. Undefined for an unknown movie.
   */
  itemJson(id: number, score: number): string | undefined {
    let head = this.#json.get(id);
    if (head === undefined) {
      const m = this.#movies.get(id);
      if (!m) return undefined;
      head = JSON.stringify(m).slice(0, -1);
      this.#json.set(id, head);
    }
    return `${head},"score":${JSON.stringify(score)}}`;
  }

  has(id: number): boolean {
    return this.#movies.has(id);
  }

  /** Every movie id, ascending. */
  ids(): number[] {
    return [...this.#movies.keys()].sort((a, b) => a - b);
  }

  /** Movie ids of a genre (exact, case-sensitive name as stored), empty when unknown. */
  genre(name: string): readonly number[] {
    return this.#byGenre.get(name) ?? [];
  }

  /** Genre name → movie ids, for scorers that build masks. */
  genres(): Record<string, number[]> {
    return Object.fromEntries(this.#byGenre);
  }

  /** Counts one more watch of `movieId` (an event); the ranking is rebuilt on next use. */
  bump(movieId: number): void {
    this.#counts.set(movieId, (this.#counts.get(movieId) ?? 0) + 1);
    this.#ranked = null;
  }

  /** Popular movies with their watch counts, skipping `exclude` and movies outside `genre`. */
  popular(
    k: number,
    options: { exclude?: ReadonlySet<number>; genre?: string } = {},
  ): { movieId: number; score: number }[] {
    this.#ranked ??= [...this.#movies.keys()].sort((a, b) =>
      (this.#counts.get(b) ?? 0) - (this.#counts.get(a) ?? 0) || a - b
    );
    const out: { movieId: number; score: number }[] = [];
    for (const id of this.#ranked) {
      if (out.length >= k) break;
      if (options.exclude?.has(id)) continue;
      if (options.genre !== undefined && !this.#movies.get(id)!.genres.includes(options.genre)) {
        continue;
      }
      out.push({ movieId: id, score: this.#counts.get(id) ?? 0 });
    }
    return out;
  }
}
