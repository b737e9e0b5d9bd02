/**
 * Evaluation beyond accuracy, over every user's top-k list (README, "Model families and
 * selection", gives each definition with its reference): catalogue coverage, the Gini index of
 * recommendation counts, mean popularity percentile, novelty (mean self-information) and
 * intra-list genre diversity. Popularity means train interactions, the same counts as the
 * popularity baseline.
 */
import { invalid } from "../../errors.ts";

/** The beyond-accuracy figures of one set of top-k lists. */
export interface BeyondAccuracy {
  /** Lists (users) they were computed over. */
  lists: number;
  /** Share of the universe that appears in at least one list (Ge et al. 2010), in [0, 1]. */
  coverage: number;
  /** Gini index of how often each universe movie is recommended (0 = even, → 1 = a few take all). */
  gini: number;
  /** Mean popularity percentile of the recommended movies (0 = least popular, 100 = most). */
  popularityPercentile: number;
  /** Mean self-information −log2(share of users who watched it) of the recommended movies, bits. */
  novelty: number;
  /** Mean over lists of the mean pairwise genre Jaccard distance; null without genres. */
  diversity: number | null;
}

/** What the figures are computed against: the universe's train popularity and its genres. */
export interface CatalogueStats {
  /** Train interactions of each universe movie, by dense index. */
  popularity: ArrayLike<number>;
  /** Users the popularity counts come from (the denominator of self-information). */
  users: number;
  /** Genre list of each universe movie by dense index; omit for no diversity figure. */
  genres?: readonly (readonly string[])[];
}

/**
 * Beyond-accuracy figures of top-k lists (dense indices, best first; lists may be shorter than k).
 */
export function beyondAccuracy(
  lists: readonly ArrayLike<number>[],
  stats: CatalogueStats,
): BeyondAccuracy {
  const n = stats.popularity.length;
  if (n === 0) throw invalid("beyond-accuracy figures need a non-empty universe");
  if (!(stats.users > 0)) throw invalid(`users must be positive, got ${stats.users}`);
  const counts = new Float64Array(n);
  let slots = 0, pct = 0, info = 0;
  const percentile = popularityPercentiles(stats.popularity);
  for (const list of lists) {
    for (let q = 0; q < list.length; q++) {
      const i = list[q];
      counts[i]++;
      slots++;
      pct += percentile[i];
      // A movie nobody watched in train counts as watched by one user, so its information is finite.
      info += -Math.log2(Math.max(1, stats.popularity[i]) / stats.users);
    }
  }
  let covered = 0;
  for (const c of counts) if (c > 0) covered++;
  return {
    lists: lists.length,
    coverage: covered / n,
    gini: gini(counts),
    popularityPercentile: slots ? pct / slots : 0,
    novelty: slots ? info / slots : 0,
    diversity: stats.genres ? meanIntraListDistance(lists, stats.genres) : null,
  };
}

/**
 * Gini index of non-negative values (Fleder & Hosanagar 2009, as RecBole's GiniIndex): with the
 * values sorted ascending x_(1..n), G = Σ (2i − n − 1)·x_(i) / (n·Σx); 0 when all are equal or
 * all zero.
 */
export function gini(values: ArrayLike<number>): number {
  const x = Float64Array.from(values).sort();
  const n = x.length;
  let total = 0, weighted = 0;
  for (let i = 0; i < n; i++) {
    total += x[i];
    weighted += (2 * (i + 1) - n - 1) * x[i];
  }
  return total > 0 ? weighted / (n * total) : 0;
}

/**
 * Each movie's popularity percentile in the universe: 100 × (movies strictly less popular + half
 * the other movies as popular) / (n − 1), so the least popular is 0 and the most popular 100.
 */
export function popularityPercentiles(popularity: ArrayLike<number>): Float64Array {
  const n = popularity.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    popularity[a] - popularity[b]
  );
  const out = new Float64Array(n);
  for (let s = 0; s < n;) {
    let e = s;
    while (e < n && popularity[order[e]] === popularity[order[s]]) e++;
    // Movies s..e−1 tie: s below each, (e − s − 1) others level with it.
    const value = n > 1 ? (100 * (s + (e - s - 1) / 2)) / (n - 1) : 50;
    for (let q = s; q < e; q++) out[order[q]] = value;
    s = e;
  }
  return out;
}

/**
 * Intra-list diversity (Ziegler et al. 2005, with Jaccard distance on genre sets): per list, the
 * mean over its pairs of 1 − |G_i ∩ G_j| / |G_i ∪ G_j| (two movies without genres: distance 0),
 * averaged over lists of two or more movies.
 */
export function meanIntraListDistance(
  lists: readonly ArrayLike<number>[],
  genres: readonly (readonly string[])[],
): number {
  let sum = 0, counted = 0;
  for (const list of lists) {
    if (list.length < 2) continue;
    let d = 0, pairs = 0;
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        d += jaccardDistance(genres[list[a]] ?? [], genres[list[b]] ?? []);
        pairs++;
      }
    }
    sum += d / pairs;
    counted++;
  }
  return counted ? sum / counted : 0;
}

function jaccardDistance(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a), sb = new Set(b);
  let inter = 0;
  for (const g of sa) if (sb.has(g)) inter++;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 0 : 1 - inter / union;
}
