/** Deterministic virtual users (the original's idea, made plausible): tastes, activity, sessions, drift. */
import { hashSeed, Prng } from "../random.ts";

/** What the generator needs to know about a movie. */
export interface CatalogMovie {
  id: number;
  genres: readonly string[];
  /** Any popularity scale (TMDB popularity, rating counts); null counts as 1. */
  popularity: number | null;
  /** 0–10 (TMDB vote average); null counts as 6.5. */
  voteAverage: number | null;
  /** Minutes; null counts as 110. */
  runtime: number | null;
}

/** Generator options. */
export interface VirtualUsersOptions {
  users: number;
  /** Mean movies per user; each user's count varies with their activity level. */
  moviesPerUser: number;
  seed: number;
  /** Timeline start in epoch seconds (default 2024-01-01T00:00:00Z). */
  start?: number;
  /** Days over which users join and watch (default 365). */
  spanDays?: number;
}

/** One virtual user's watch log. */
export interface VirtualUser {
  /** Stable across runs: `s<seed>-u<index>`. */
  externalId: string;
  profile: {
    seed: number;
    index: number;
    activity: number;
    topGenres: { genre: string; weight: number }[];
  };
  interactions: { movieId: number; ts: number; rating: number; watchSeconds: number }[];
}

const CANDIDATES = 48;
const DAY = 86_400;

/** Normalises in place so the weights sum to 1. */
function normalise(w: Float64Array): void {
  let s = 0;
  for (const x of w) s += x;
  for (let i = 0; i < w.length; i++) w[i] /= s || 1;
}

/**
 * Generates users one at a time. User `i` depends only on (seed, i) and the catalogue, so the same
 * seed yields identical rows and `users: 100` is a prefix of `users: 200`.
 *
 * Model: popularity proposes candidates (people watch what is popular, as in the original); a
 * Dirichlet(0.4) genre taste picks among them; consecutive movies in a session share genres;
 * tastes drift towards what was watched; ratings rise with taste fit and movie quality; watch time
 * rises with the rating.
 */
export function* generateVirtualUsers(
  catalog: readonly CatalogMovie[],
  opts: VirtualUsersOptions,
): Generator<VirtualUser> {
  const movies = [...catalog].sort((a, b) => a.id - b.id);
  if (movies.length === 0) return;
  const genreNames = [...new Set(movies.flatMap((m) => m.genres))].sort();
  const genreIndex = new Map(genreNames.map((g, i) => [g, i]));
  const movieGenres = movies.map((m) => m.genres.map((g) => genreIndex.get(g)!));
  const cumulative = new Float64Array(movies.length);
  let total = 0;
  movies.forEach((
    m,
    i,
  ) => (cumulative[i] = total += Math.pow(Math.max(m.popularity ?? 1, 0) + 1, 0.8)));
  const start = opts.start ?? 1_704_067_200;
  const span = (opts.spanDays ?? 365) * DAY;

  const propose = (rng: Prng): number => {
    const x = rng.next() * total;
    let lo = 0, hi = movies.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  for (let index = 0; index < opts.users; index++) {
    const rng = new Prng(hashSeed(opts.seed, index));
    const taste = new Float64Array(Math.max(genreNames.length, 1));
    for (let g = 0; g < taste.length; g++) taste[g] = rng.gamma(0.4) + 1e-6;
    normalise(taste);
    const initial = Float64Array.from(taste);
    const activity = Math.exp(0.6 * rng.normal());
    const want = Math.max(3, Math.min(movies.length, Math.round(opts.moviesPerUser * activity)));
    const watched = new Set<number>();
    const interactions: VirtualUser["interactions"] = [];
    let ts = start + Math.floor(rng.next() * span * 0.5);
    const sessionGap = (span * 0.5) / Math.max(1, want / 2.5);
    let last: number[] = [];
    while (interactions.length < want && watched.size < movies.length) {
      // A session: a few movies back to back, sharing genres more often than not.
      const sessionLength = 1 + Math.floor(rng.exponential(1.5));
      for (let k = 0; k < sessionLength && interactions.length < want; k++) {
        let best = -1, bestScore = -Infinity;
        for (let c = 0; c < CANDIDATES; c++) {
          const m = propose(rng);
          if (watched.has(m)) continue;
          const gs = movieGenres[m];
          let fit = 0;
          for (const g of gs) fit += taste[g];
          fit = gs.length ? fit / Math.sqrt(gs.length) : 0.02;
          const overlap = k > 0 && gs.length
            ? gs.filter((g) => last.includes(g)).length / gs.length
            : 0;
          const score = 2 * Math.log(fit + 0.01) + 1.5 * overlap + rng.gumbel();
          if (score > bestScore) [best, bestScore] = [m, score];
        }
        if (best < 0) best = movies.findIndex((_, i) => !watched.has(i));
        const movie = movies[best];
        const gs = movieGenres[best];
        watched.add(best);
        let fit = 0;
        for (const g of gs) fit += taste[g];
        const relative = gs.length
          ? Math.min(1, fit / Math.max(...taste) / Math.sqrt(gs.length))
          : 0.3;
        const quality = (movie.voteAverage ?? 6.5) - 6.5;
        const raw = 1.2 + 3 * relative + 0.4 * quality + 0.5 * rng.normal();
        const rating = Math.min(5, Math.max(0.5, Math.round(raw * 2) / 2));
        const fraction = Math.min(1, Math.max(0.05, 0.1 + 0.18 * rating + 0.08 * rng.normal()));
        const runtime = (movie.runtime ?? 110) * 60;
        interactions.push({
          movieId: movie.id,
          ts,
          rating,
          watchSeconds: Math.round(runtime * fraction),
        });
        ts += runtime + 300 + Math.floor(rng.next() * 1800);
        // Drift: tastes lean towards what was just watched, and now and then a new interest appears.
        for (const g of gs) taste[g] += 0.04 / gs.length;
        if (rng.next() < 0.03) taste[rng.int(taste.length)] += 0.1;
        normalise(taste);
        last = gs;
      }
      ts += Math.floor(rng.exponential(sessionGap));
    }
    const topGenres = [...initial]
      .map((weight, g) => ({
        genre: genreNames[g] ?? "none",
        weight: Math.round(weight * 1000) / 1000,
      }))
      .sort((a, b) => b.weight - a.weight || a.genre.localeCompare(b.genre))
      .slice(0, 3);
    yield {
      externalId: `s${opts.seed}-u${index}`,
      profile: { seed: opts.seed, index, activity: Math.round(activity * 1000) / 1000, topGenres },
      interactions,
    };
  }
}
