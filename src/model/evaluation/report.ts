/**
 * The whole offline report of one scorer: the protocol's ranking metrics per phase, the
 * beyond-accuracy figures of every user's top-10 in each phase, and the tie-aware line — the test
 * metrics again on the users whose test movie is strictly later than their validation movie (on
 * MovieLens the others' order comes from the movie-id tie-break, which a sequential model can learn).
 */
import type { Phase, Split } from "../../features/split.ts";
import { popularityCounts } from "./baselines.ts";
import { type BeyondAccuracy, beyondAccuracy, type CatalogueStats } from "./beyond_accuracy.ts";
import {
  evaluateRanking,
  metricsFromRanks,
  type PhaseReport,
  type RankingMetrics,
  type Scorer,
  topK,
} from "./ranking_metrics.ts";

/** List length of the beyond-accuracy figures (coverage@10, diversity@10, …). */
export const LIST_K = 10;

/** One phase: ranking metrics and the figures of its top-10 lists. */
export interface PhaseEvaluation extends PhaseReport {
  beyond: BeyondAccuracy;
}

/** Everything `evaluate`, the family runs and the gate's coverage check read. */
export interface FullEvaluation {
  validation: PhaseEvaluation;
  test: PhaseEvaluation;
  /** Test metrics on the users whose test timestamp is strictly after their validation one. */
  strict: RankingMetrics & { beyond: BeyondAccuracy };
}

/** The users of the tie-aware line: test movie strictly later than validation movie. */
export function strictlyLaterUsers(split: Split): number[] {
  const out: number[] = [];
  split.users.forEach((u, k) => {
    if (u.testTimestamp > u.valTimestamp) out.push(k);
  });
  return out;
}

/** Popularity (train interactions), users and genres by dense index, for {@link beyondAccuracy}. */
export function catalogueStats(
  split: Split,
  genres?: ReadonlyMap<number, readonly string[]>,
): CatalogueStats {
  return {
    popularity: popularityCounts(split),
    users: split.users.length,
    genres: genres ? Array.from(split.universe.ids, (id) => genres.get(id) ?? []) : undefined,
  };
}

/** Scores every user once per phase: ranks, top-10 lists, and the figures built on them. */
export async function evaluateFull(
  split: Split,
  scorer: Scorer,
  options: { genres?: ReadonlyMap<number, readonly string[]>; batchSize?: number } = {},
): Promise<FullEvaluation> {
  const stats = catalogueStats(split, options.genres);
  const phase = async (p: Phase) => {
    const lists: Int32Array[] = new Array(split.users.length);
    const report = await evaluateRanking(split, scorer, {
      phase: p,
      batchSize: options.batchSize,
      onScores: (
        user,
        scores,
        history,
      ) => (lists[user] = topK(scores, LIST_K, { exclude: history })),
    });
    return { report, lists };
  };
  const v = await phase("validation");
  const t = await phase("test");
  const strict = strictlyLaterUsers(split);
  return {
    validation: { ...v.report, beyond: beyondAccuracy(v.lists, stats) },
    test: { ...t.report, beyond: beyondAccuracy(t.lists, stats) },
    strict: {
      ...metricsFromRanks(strict.map((k) => t.report.ranks[k])),
      beyond: beyondAccuracy(strict.map((k) => t.lists[k]), stats),
    },
  };
}

/**
 * The beyond-accuracy and tie-aware metrics as a run logs them (next to `flatMetrics`' accuracy
 * ones): `val_coverage10`, `test_gini10`, `test_pop_percentile`, `test_novelty`,
 * `test_diversity10`, `strict_test_ndcg10`, `strict_users`, ….
 */
export function beyondMetrics(e: FullEvaluation, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  const figures = (tag: string, b: BeyondAccuracy) => {
    out[`${prefix}${tag}_coverage10`] = b.coverage;
    out[`${prefix}${tag}_gini10`] = b.gini;
    out[`${prefix}${tag}_pop_percentile`] = b.popularityPercentile;
    out[`${prefix}${tag}_novelty`] = b.novelty;
    if (b.diversity !== null) out[`${prefix}${tag}_diversity10`] = b.diversity;
  };
  figures("val", e.validation.beyond);
  figures("test", e.test.beyond);
  figures("strict_test", e.strict.beyond);
  for (const k of ["hr10", "hr20", "ndcg10", "ndcg20", "mrr"] as const) {
    out[`${prefix}strict_test_${k}`] = e.strict[k];
    out[`${prefix}strict_test_${k}_se`] = e.strict.se[k];
  }
  out[`${prefix}strict_users`] = e.strict.users;
  return out;
}
