/**
 * Online metrics per model version and arm over a window: CTR@k (share of impressions with a
 * click in the top k), watch rate (share with a watch in the top k), and the mean reciprocal
 * position of watched items; rates with Wilson intervals, the mean with a normal one. Shadow lists
 * add staging's overlap@10 with production and whether it held the movies users then watched.
 */
import type { Sql } from "../db/types.ts";
import { type Estimate, meanInterval, wilson } from "./stats.ts";

/** The figures of one (version, arm, strategy) over the window. */
export interface ArmMetrics {
  /** Null for popularity answers. */
  version: number | null;
  arm: "production" | "staging" | "browser";
  strategy: "model" | "popularity" | "similar";
  impressions: number;
  /** Impressions with at least one click in the top k. */
  clicked: number;
  /** Impressions with at least one watch in the top k. */
  watched: number;
  ctr: Estimate;
  watchRate: Estimate;
  /** Mean of 1/position over watched items (n = watched items). */
  reciprocalPosition: Estimate;
}

/** What staging's shadow lists say, per staging version. */
export interface ShadowMetrics {
  stagingVersion: number;
  lists: number;
  /** Mean share of production's top 10 that staging's top 10 held. */
  overlap10: number | null;
  /** Movies watched from the shadowed impressions. */
  watchedItems: number;
  /** Share of those that staging's list held too. */
  inStagingList: Estimate;
  /** Mean of 1/(staging's position) over them (0 when staging did not list the movie). */
  stagingReciprocalPosition: Estimate;
}

/** The window and k. */
export interface MetricsQuery {
  model: string;
  since: Date;
  until: Date;
  /** Positions counted for CTR@k and the watch rate (default 10). */
  k?: number;
}

/** Online metrics of every (version, arm, strategy) shown in the window, newest version first. */
export async function onlineMetrics(db: Sql, q: MetricsQuery): Promise<ArmMetrics[]> {
  const rows = await db.query<{
    version: number | null;
    arm: ArmMetrics["arm"];
    strategy: ArmMetrics["strategy"];
    impressions: number;
    clicked: number;
    watched: number;
    rr_n: number;
    rr_sum: number;
    rr_sq: number;
  }>(
    `WITH imp AS (
       SELECT id, version, arm, strategy FROM impressions
       WHERE model = $1 AND shown_at >= $2::timestamptz AND shown_at < $3::timestamptz
     ), per AS (
       SELECT o.impression_id,
         bool_or(o.type = 'click' AND o.position <= $4) AS clicked,
         bool_or(o.type = 'watch' AND o.position <= $4) AS watched,
         count(*) FILTER (WHERE o.type = 'watch') AS rr_n,
         sum(1.0 / o.position) FILTER (WHERE o.type = 'watch') AS rr_sum,
         sum(1.0 / (o.position * o.position)) FILTER (WHERE o.type = 'watch') AS rr_sq
       FROM impression_outcomes o JOIN imp ON imp.id = o.impression_id
       GROUP BY o.impression_id
     )
     SELECT imp.version, imp.arm, imp.strategy, count(*)::int8 AS impressions,
       count(*) FILTER (WHERE per.clicked)::int8 AS clicked,
       count(*) FILTER (WHERE per.watched)::int8 AS watched,
       coalesce(sum(per.rr_n), 0)::int8 AS rr_n,
       coalesce(sum(per.rr_sum), 0)::float8 AS rr_sum,
       coalesce(sum(per.rr_sq), 0)::float8 AS rr_sq
     FROM imp LEFT JOIN per ON per.impression_id = imp.id
     GROUP BY 1, 2, 3 ORDER BY 1 DESC NULLS LAST, 2, 3`,
    [q.model, q.since.toISOString(), q.until.toISOString(), q.k ?? 10],
  );
  return rows.map((r) => {
    const n = Number(r.impressions);
    const clicked = Number(r.clicked);
    const watched = Number(r.watched);
    return {
      version: r.version === null ? null : Number(r.version),
      arm: r.arm,
      strategy: r.strategy,
      impressions: n,
      clicked,
      watched,
      ctr: wilson(clicked, n),
      watchRate: wilson(watched, n),
      reciprocalPosition: meanInterval(Number(r.rr_sum), Number(r.rr_sq), Number(r.rr_n)),
    };
  });
}

/** Shadow figures per staging version for shadow lists made in the window. */
export async function shadowMetrics(db: Sql, q: MetricsQuery): Promise<ShadowMetrics[]> {
  const params = [q.model, q.since.toISOString(), q.until.toISOString()];
  const where = `FROM shadow_lists s JOIN impressions i ON i.id = s.impression_id
     WHERE i.model = $1 AND s.at >= $2::timestamptz AND s.at < $3::timestamptz`;
  const lists = await db.query<{ v: number; lists: number; overlap: number | null }>(
    `SELECT s.staging_version AS v, count(*)::int8 AS lists, avg(s.overlap10)::float8 AS overlap
     ${where} GROUP BY 1 ORDER BY 1 DESC`,
    params,
  );
  const watched = await db.query<
    { v: number; n: number; found: number; rr: number; rr_sq: number }
  >(
    `SELECT v, count(*)::int8 AS n, count(p)::int8 AS found,
       coalesce(sum(1.0 / p), 0)::float8 AS rr, coalesce(sum(1.0 / (p * p)), 0)::float8 AS rr_sq
     FROM (SELECT s.staging_version AS v, array_position(s.movie_ids, o.movie_id) AS p
       ${
      where.replace(
        "WHERE",
        "JOIN impression_outcomes o ON o.impression_id = s.impression_id AND o.type = 'watch' WHERE",
      )
    }) x
     GROUP BY v`,
    params,
  );
  const byVersion = new Map(watched.map((w) => [Number(w.v), w]));
  return lists.map((l) => {
    const w = byVersion.get(Number(l.v));
    const n = Number(w?.n ?? 0);
    return {
      stagingVersion: Number(l.v),
      lists: Number(l.lists),
      overlap10: l.overlap === null ? null : Number(l.overlap),
      watchedItems: n,
      inStagingList: wilson(Number(w?.found ?? 0), n),
      stagingReciprocalPosition: meanInterval(Number(w?.rr ?? 0), Number(w?.rr_sq ?? 0), n),
    };
  });
}

/** Parses a window such as `15m`, `1h`, `7d` into milliseconds (at most 90 days); null when malformed. */
export function parseWindow(text: string): number | null {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"];
  return ms > 0 && ms <= 90 * 86_400_000 ? ms : null;
}
