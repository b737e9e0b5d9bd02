/** Recommendation drift: the newest batch of recommendations against the one before — overlap@10 and the PSI of recommended genres. */
import type { Sql } from "../../db/types.ts";
import { MODEL_NAME } from "../../registry/store.ts";
import { genreMix } from "./features.ts";
import { psi } from "./psi.ts";
import { detail } from "./data_drift.ts";
import type { DriftReportInput } from "./store.ts";

/** A batch's top 10 per user. */
export type TopTen = Map<number, number[]>;

/** Mean over users in both batches of |top-10 ∩ previous top-10| / 10 (shorter lists: their length). */
export function overlapAt10(current: TopTen, previous: TopTen): number {
  let sum = 0, users = 0;
  for (const [user, items] of current) {
    const before = previous.get(user);
    if (!before) continue;
    const a = items.slice(0, 10), b = new Set(before.slice(0, 10));
    const k = Math.max(a.length, b.size);
    if (k === 0) continue;
    sum += a.filter((m) => b.has(m)).length / k;
    users++;
  }
  return users ? sum / users : 0;
}

async function topTen(db: Sql, version: number): Promise<TopTen> {
  const rows = await db.query<{ user_id: number; movie_id: number }>(
    `SELECT user_id, movie_id FROM batch_recommendations
     WHERE model = $1 AND version = $2 AND rank <= 10 ORDER BY user_id, rank`,
    [MODEL_NAME, version],
  );
  const out: TopTen = new Map();
  for (const r of rows) {
    const u = Number(r.user_id);
    const list = out.get(u) ?? [];
    list.push(Number(r.movie_id));
    out.set(u, list);
  }
  return out;
}

const flat = (t: TopTen) => {
  const movies = [...t.values()].flat();
  return { users: movies.map(() => 0), movies };
};

/** The report of the newest batch against the previous one; null with fewer than two batches. */
export async function recommendationDriftReport(
  db: Sql,
  options: { genres: Map<number, string[]>; threshold: number; checkedAt: Date },
): Promise<DriftReportInput | null> {
  const runs = await db.query<{ version: number; created_at: Date }>(
    `SELECT version, created_at FROM batch_recommendation_runs WHERE model = $1
     ORDER BY created_at DESC, version DESC LIMIT 2`,
    [MODEL_NAME],
  );
  if (runs.length < 2) return null;
  const [cur, prev] = runs.map((r) => ({ version: Number(r.version), at: new Date(r.created_at) }));
  const [current, previous] = await Promise.all([
    topTen(db, cur.version),
    topTen(db, prev.version),
  ]);
  const genresOf = (m: number) => options.genres.get(m) ?? [];
  const e = genreMix(flat(previous), genresOf), a = genreMix(flat(current), genresOf);
  return {
    kind: "recommendations",
    key:
      `recommendations:${prev.version}@${prev.at.toISOString()}:${cur.version}@${cur.at.toISOString()}`,
    reference: `version ${prev.version}`,
    subject: `the batch of version ${cur.version} (${current.size} users)`,
    sampleSize: current.size,
    threshold: options.threshold,
    scores: { recommended_genres: psi(e, a) },
    overlapAt10: overlapAt10(current, previous),
    details: { recommended_genres: detail(e, a) },
    checkedAt: options.checkedAt,
  };
}
