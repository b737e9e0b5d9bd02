/**
 * `deno task bench scaling`: the default recommender beyond the bundled set. On data sets of other
 * sizes and kinds built here from the bundled MovieLens folder — two time-based subsets (every
 * rating before a percentile of the timestamps) and seeded virtual users over the same catalogue
 * (src/data/virtual_users.ts), one set about the bundled size and one five times larger — it
 * trains the default model and EASE (λ = 50) with the protocol of shared/EVALUATION.md, and reports
 * each one's test NDCG@10 and training seconds. At a fixed catalogue, training time should grow no
 * faster than the interactions: the report gives seconds per 100,000 interactions on each set.
 */
import { type CatalogMovie, generateVirtualUsers } from "../data/virtual_users.ts";
import { parseMovieLensGenres } from "../data/movielens.ts";
import { type Interactions, type Split, splitInteractions } from "../features/split.ts";
import {
  evaluateBoth,
  Kernel,
  modelScorer,
  popularityScorer,
  type RecommenderModel,
  trainEase,
  type TrainParams,
  trainRecommender,
} from "../model/mod.ts";

/** The sets the benchmark can build, in the order it runs them. */
export const SCALING_SETS = [
  "bundled",
  "before-p40",
  "before-p70",
  "virtual-1x",
  "virtual-5x",
] as const;
export type ScalingSet = typeof SCALING_SETS[number];

/** One set's figures. */
export interface ScalingRow {
  set: ScalingSet;
  interactions: number;
  users: number;
  items: number;
  popularity_test_ndcg10: number;
  ease_test_ndcg10: number;
  ease_seconds: number;
  test_ndcg10: number;
  val_ndcg10: number;
  transition_weight: number;
  train_seconds: number;
  /** Training seconds per 100,000 interactions: flat when time grows linearly. */
  seconds_per_100k: number;
  /** Epochs each member ran before early stopping (or the limit). */
  epochs: number[];
  /** Mean seconds of one member's epoch (training steps and its validation pass). */
  epoch_seconds: number;
}

/** What the benchmark prints. */
export interface ScalingBench {
  seed: number;
  threads: number;
  rows: ScalingRow[];
  /**
   * The five-times set against the bundled-size virtual set: interactions ratio, training-time
   * ratio and time ratio ÷ interactions ratio, the same for one epoch (≤ 1: no faster than
   * linear); the whole training's also depends on how many epochs early stopping runs. Null when
   * either set was not run.
   */
  growth: {
    interactions: number;
    seconds: number;
    per_interaction: number;
    epoch_seconds: number;
    epoch_per_interaction: number;
  } | null;
  load_average_before: number[];
  load_average_after: number[];
}

/** Options of {@link benchScaling}. */
export interface ScalingOptions {
  /** A MovieLens folder with ratings.csv and movies.csv. */
  folder: string;
  sets: readonly ScalingSet[];
  seed: number;
  threads: number;
  memoryMiB: number;
  /** Training parameters over the defaults (the benchmark's tests pass small ones). */
  params?: Partial<TrainParams>;
  log?: (line: string) => void;
}

interface Rating {
  user: number;
  movie: number;
  ts: number;
}

/** Reads ratings.csv (userId,movieId,rating,timestamp) and movies.csv's genres. */
export async function readMovieLens(
  folder: string,
): Promise<{ ratings: Rating[]; catalog: CatalogMovie[] }> {
  const lines = (await Deno.readTextFile(`${folder}/ratings.csv`)).trim().split("\n").slice(1);
  const ratings = lines.map((l) => {
    const [u, m, , t] = l.split(",");
    return { user: Number(u), movie: Number(m), ts: Number(t) };
  });
  const counts = new Map<number, number>();
  for (const r of ratings) counts.set(r.movie, (counts.get(r.movie) ?? 0) + 1);
  const movieLines = (await Deno.readTextFile(`${folder}/movies.csv`)).trim().split("\n").slice(1);
  const catalog = movieLines.map((l) => {
    const id = Number(l.slice(0, l.indexOf(",")));
    const genres = parseMovieLensGenres(l.slice(l.lastIndexOf(",") + 1));
    // Popularity as the bundled rating counts, so virtual users watch what real ones did.
    return { id, genres, popularity: counts.get(id) ?? 0, voteAverage: null, runtime: null };
  });
  return { ratings, catalog };
}

function columns(rows: readonly Rating[]): Interactions {
  return {
    users: Int32Array.from(rows, (r) => r.user),
    items: Int32Array.from(rows, (r) => r.movie),
    timestamps: Float64Array.from(rows, (r) => r.ts),
  };
}

/** Every rating strictly before the `p`-th percentile of the timestamps. */
export function beforePercentile(ratings: readonly Rating[], p: number): Rating[] {
  const ts = Float64Array.from(ratings, (r) => r.ts).sort();
  const cut = ts[Math.min(ts.length - 1, Math.floor((p / 100) * ts.length))];
  return ratings.filter((r) => r.ts < cut);
}

/** `users` seeded virtual users over `catalog`, about as active as the bundled users. */
export function virtualRatings(
  catalog: readonly CatalogMovie[],
  users: number,
  moviesPerUser: number,
  seed: number,
): Rating[] {
  const out: Rating[] = [];
  let k = 0;
  for (const u of generateVirtualUsers(catalog, { users, moviesPerUser, seed })) {
    k++;
    for (const i of u.interactions) out.push({ user: k, movie: i.movieId, ts: i.ts });
  }
  return out;
}

async function ndcg(
  split: Split,
  scorer: Parameters<typeof evaluateBoth>[1],
): Promise<{ val: number; test: number }> {
  const e = await evaluateBoth(split, scorer);
  return { val: e.validation.ndcg10, test: e.test.ndcg10 };
}

const loadAverage = () => {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
};

/** Builds each set, trains EASE and the default model on it, and reports the figures. */
export async function benchScaling(o: ScalingOptions): Promise<ScalingBench> {
  const say = o.log ?? (() => {});
  const before = loadAverage();
  const { ratings, catalog } = await readMovieLens(o.folder);
  const realUsers = new Set(ratings.map((r) => r.user)).size;
  const perUser = Math.round(ratings.length / realUsers);
  const build = (set: ScalingSet): Rating[] => {
    switch (set) {
      case "bundled":
        return ratings;
      case "before-p40":
        return beforePercentile(ratings, 40);
      case "before-p70":
        return beforePercentile(ratings, 70);
      case "virtual-1x":
        return virtualRatings(catalog, realUsers, perUser, o.seed);
      case "virtual-5x":
        return virtualRatings(catalog, 5 * realUsers, perUser, o.seed);
    }
  };
  const rows: ScalingRow[] = [];
  for (const set of o.sets) {
    const data = build(set);
    const split = splitInteractions(columns(data));
    say(
      `${set}: ${data.length} interactions, ${split.users.length} users, ` +
        `${split.universe.size} movies in the universe`,
    );
    const popularity = await ndcg(split, popularityScorer(split));
    const ease = await trainEase(split, {
      lambdas: [50],
      threads: o.threads,
      memoryBytes: o.memoryMiB * 2 ** 20,
    });
    const easeNdcg = await withModel(
      ease.model,
      (m) => ndcg(split, modelScorer(m, split.universe)),
    );
    say(`  EASE (λ = 50) test NDCG@10 ${easeNdcg.test.toFixed(4)} in ${ease.seconds.toFixed(1)} s`);
    const kernel = await Kernel.create({ threads: o.threads });
    try {
      const trained = await trainRecommender(kernel, split, {
        params: { seed: o.seed, ...o.params },
      });
      const mlp = await withModel(
        trained.model,
        (m) => ndcg(split, modelScorer(m, split.universe)),
      );
      say(
        `  default model test NDCG@10 ${mlp.test.toFixed(4)}, trained in ` +
          `${trained.seconds.toFixed(1)} s`,
      );
      rows.push({
        set,
        interactions: data.length,
        users: split.users.length,
        items: split.universe.size,
        popularity_test_ndcg10: round(popularity.test),
        ease_test_ndcg10: round(easeNdcg.test),
        ease_seconds: round(ease.seconds, 2),
        test_ndcg10: round(mlp.test),
        val_ndcg10: round(mlp.val),
        transition_weight: trained.transitionWeight,
        train_seconds: round(trained.seconds, 2),
        seconds_per_100k: round(trained.seconds / (data.length / 1e5), 2),
        epochs: [...new Set(trained.epochs.map((e) => e.member))].sort((a, b) => a - b)
          .map((m) =>
            Math.max(...trained.epochs.filter((e) => e.member === m).map((e) => e.epoch))
          ),
        epoch_seconds: round(
          trained.epochs.reduce((t, e) => t + e.seconds, 0) / trained.epochs.length,
          3,
        ),
      });
    } finally {
      kernel.close();
    }
  }
  const one = rows.find((r) => r.set === "virtual-1x");
  const five = rows.find((r) => r.set === "virtual-5x");
  const growth = one && five
    ? {
      interactions: round(five.interactions / one.interactions, 3),
      seconds: round(five.train_seconds / one.train_seconds, 3),
      per_interaction: round(
        (five.train_seconds / one.train_seconds) / (five.interactions / one.interactions),
        3,
      ),
      epoch_seconds: round(five.epoch_seconds / one.epoch_seconds, 3),
      epoch_per_interaction: round(
        (five.epoch_seconds / one.epoch_seconds) / (five.interactions / one.interactions),
        3,
      ),
    }
    : null;
  return {
    seed: o.seed,
    threads: o.threads,
    rows,
    growth,
    load_average_before: before,
    load_average_after: loadAverage(),
  };
}

async function withModel<T>(
  model: RecommenderModel,
  f: (m: RecommenderModel) => Promise<T>,
): Promise<T> {
  try {
    return await f(model);
  } finally {
    model.close();
  }
}

function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}
