/**
 * The simulation's world: a synthetic catalogue, virtual users (src/data/virtual_users.ts) whose
 * first half of history is stored and trained on, and two models — a good one trained on their
 * histories and a deliberately worse one trained on shuffled histories (same movie popularity,
 * no taste left).
 */
import type { Context } from "../context.ts";
import {
  type CatalogMovie,
  generateVirtualUsers,
  type VirtualUser,
} from "../data/virtual_users.ts";
import { trainAndRegister, type TrainParams } from "../model/mod.ts";
import { Prng, shuffle } from "../random.ts";

const GENRES = [
  "Action",
  "Adventure",
  "Animation",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Horror",
  "Romance",
  "Sci-Fi",
  "Thriller",
];

/** A simulated person: their taste (genre → weight) and the history they bring. */
export interface SimUser {
  visitorId: string;
  taste: Map<string, number>;
  history: number[];
  /** Movies they would go on to watch (their generated log's second half). */
  future: Set<number>;
}

/** The world. */
export interface SimWorld {
  movies: CatalogMovie[];
  genresOf: Map<number, readonly string[]>;
  users: SimUser[];
  good: number;
  worse: number;
}

/** Training parameters small enough for seconds on this catalogue. */
export const SIM_PARAMS: Partial<TrainParams> = {
  dim: 24,
  hidden: [48],
  projection: 0,
  tied: true,
  batchSize: 128,
  negatives: 64,
  epochs: 6,
  patience: 6,
  lr: 3e-3,
  members: 1,
  averageTop: 1,
  seed: 11,
};

/** A synthetic catalogue: 1–2 genres per movie, Zipf-like popularity. */
export function simCatalog(movies: number, seed: number): CatalogMovie[] {
  const rng = new Prng(seed);
  return Array.from({ length: movies }, (_, i) => {
    const first = GENRES[rng.int(GENRES.length)];
    const second = rng.next() < 0.4 ? GENRES[rng.int(GENRES.length)] : first;
    return {
      id: i + 1,
      genres: [...new Set([first, second])],
      popularity: 1000 / (1 + i * 0.2),
      voteAverage: 5 + rng.next() * 3,
      runtime: 90 + rng.int(60),
    };
  });
}

async function storeInteractions(
  ctx: Pick<Context, "db">,
  rows: { user: number; movie: number; ts: number }[],
): Promise<void> {
  await ctx.db.query("DELETE FROM interactions");
  await ctx.db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, rating, source)
     SELECT u, m, t, 4, 'synthetic' FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(u, m, t)`,
    [rows.map((r) => r.user), rows.map((r) => r.movie), rows.map((r) => r.ts)],
  );
}

/**
 * Builds the world in `ctx`'s (empty) database: movies, users, the good model (production) and
 * the worse one, trained on shuffled histories (registered; the gate decides as usual).
 */
export async function buildWorld(
  ctx: Context,
  o: {
    movies: number;
    users: number;
    moviesPerUser: number;
    seed: number;
    params?: Partial<TrainParams>;
  },
): Promise<SimWorld> {
  const movies = simCatalog(o.movies, o.seed);
  await ctx.db.query(
    `INSERT INTO movies (id, movielens_id, title, year, genres, source)
     SELECT id, id, 'Movie ' || id, 2000, g::text[], 'movielens'
     FROM unnest($1::int8[], $2::text[]) AS x(id, g)`,
    [movies.map((m) => m.id), movies.map((m) => `{${m.genres.map((g) => `"${g}"`).join(",")}}`)],
  );
  const generated: VirtualUser[] = [
    ...generateVirtualUsers(movies, {
      users: o.users,
      moviesPerUser: o.moviesPerUser,
      seed: o.seed,
    }),
  ];
  await ctx.db.query(
    `INSERT INTO users (id, source, external_id)
     SELECT u, 'synthetic', 'sim-' || u FROM unnest($1::int8[]) AS u`,
    [generated.map((_, i) => i + 1)],
  );
  const rows: { user: number; movie: number; ts: number }[] = [];
  const users = generated.map((g, i) => {
    const half = Math.max(3, Math.floor(g.interactions.length / 2));
    const seen = g.interactions.slice(0, half);
    for (const x of seen) rows.push({ user: i + 1, movie: x.movieId, ts: x.ts });
    return {
      visitorId: `sim-visitor-${String(i).padStart(5, "0")}`,
      taste: new Map(g.profile.topGenres.map((t) => [t.genre, t.weight])),
      history: seen.map((x) => x.movieId),
      future: new Set(g.interactions.slice(half).map((x) => x.movieId)),
    };
  });
  const params = { ...SIM_PARAMS, ...o.params };
  await storeInteractions(ctx, rows);
  const good = await trainAndRegister(ctx, { params });
  // Shuffled histories: every user keeps their count and times, the movies are dealt at random
  // from everyone's (so popularity stays, taste goes).
  const pool = shuffle(rows.map((r) => r.movie), new Prng(o.seed + 1));
  const seenBy = new Map<number, Set<number>>();
  const shuffled = rows.flatMap((r, i) => {
    const s = seenBy.get(r.user) ?? seenBy.set(r.user, new Set()).get(r.user)!;
    if (s.has(pool[i])) return [];
    s.add(pool[i]);
    return [{ ...r, movie: pool[i] }];
  });
  await storeInteractions(ctx, shuffled);
  const worse = await trainAndRegister(ctx, { params });
  await storeInteractions(ctx, rows);
  await ctx.releaseKernel();
  return {
    movies,
    genresOf: new Map(movies.map((m) => [m.id, m.genres])),
    users,
    good: good.version,
    worse: worse.version,
  };
}
