/**
 * The drift features as histograms of interactions: genre mix, movie popularity buckets and user
 * activity. Reference and recent samples go through the same bins, built from the reference.
 */
import { add, type Histogram } from "./psi.ts";

/** Interactions as (user, movie) pairs. */
export interface Sample {
  users: ArrayLike<number>;
  movies: ArrayLike<number>;
}

/** A movie's genres ("(no genres)" when it has none or is unknown). */
export type GenresOf = (movie: number) => readonly string[];

/** Each interaction spreads one unit over its movie's genres. */
export function genreMix(sample: Sample, genresOf: GenresOf): Histogram {
  const h: Histogram = new Map();
  for (let i = 0; i < sample.movies.length; i++) {
    const genres = genresOf(sample.movies[i]);
    if (!genres.length) add(h, "(no genres)");
    for (const g of genres) add(h, g, 1 / genres.length);
  }
  return h;
}

/** Deciles of the reference's interactions by movie popularity; "new" for unseen movies. */
export const POPULARITY_BINS = 10;

/**
 * Maps a movie to its popularity bucket in `reference`: movies sorted by reference count (most
 * watched first, ties by id) fill `p1`…`p10`, each holding about a tenth of the reference's
 * interactions, so the reference is near-uniform over the buckets by construction.
 */
export function popularityBuckets(reference: Sample): (movie: number) => string {
  const counts = new Map<number, number>();
  for (let i = 0; i < reference.movies.length; i++) {
    const m = reference.movies[i];
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  const order = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const total = reference.movies.length;
  const bucket = new Map<number, string>();
  let seen = 0;
  for (const [movie, n] of order) {
    // The bucket of a movie's first interaction: a head movie never splits over two buckets.
    bucket.set(
      movie,
      `p${Math.min(POPULARITY_BINS, Math.floor((seen / total) * POPULARITY_BINS) + 1)}`,
    );
    seen += n;
  }
  return (movie) => bucket.get(movie) ?? "new";
}

/** Interactions per popularity bucket. */
export function popularityMix(sample: Sample, bucketOf: (movie: number) => string): Histogram {
  const h: Histogram = new Map();
  for (let i = 0; i < sample.movies.length; i++) add(h, bucketOf(sample.movies[i]));
  return h;
}

/** User-activity bins: the shortest history each holds, and its name. */
const ACTIVITY_BINS: readonly [number, string][] = [
  [200, "200+"],
  [50, "50-199"],
  [20, "20-49"],
  [5, "5-19"],
  [0, "1-4"],
];

/** The activity bin of a user with `n` interactions. */
export function activityBin(n: number): string {
  return ACTIVITY_BINS.find(([low]) => n >= low)![1];
}

/** Interactions per user in `samples` together. */
export function userCounts(...samples: Sample[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of samples) {
    for (let i = 0; i < s.users.length; i++) {
      counts.set(s.users[i], (counts.get(s.users[i]) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Interactions by how active their user is (history length in `counts`): a shift towards new or
 * light users means the model meets histories unlike those it was trained on.
 */
export function activityMix(sample: Sample, counts: Map<number, number>): Histogram {
  const h: Histogram = new Map();
  for (let i = 0; i < sample.users.length; i++) {
    add(h, activityBin(counts.get(sample.users[i]) ?? 1));
  }
  return h;
}
