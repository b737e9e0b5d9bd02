/**
 * Data drift: interactions newer than the production model's training snapshot against the
 * snapshot's own interactions — genre mix, movie popularity buckets and user activity.
 */
import type { Sql } from "../../db/types.ts";
import { notFound } from "../../errors.ts";
import { readManifest, readPartLines } from "../../snapshot/restore.ts";
import { manifestKey } from "../../snapshot/tables.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import {
  activityMix,
  genreMix,
  popularityBuckets,
  popularityMix,
  type Sample,
  userCounts,
} from "./features.ts";
import { type Histogram, psi, shares } from "./psi.ts";
import type { DriftReportInput, FeatureDetail } from "./store.ts";

/** A sample with its newest timestamp. */
export interface TimedSample extends Sample {
  maxTs: number;
}

/** The interactions of snapshot `id`, read from the object store and verified. */
export async function snapshotInteractions(store: ObjectStore, id: string): Promise<TimedSample> {
  const key = manifestKey(id);
  if (!(await store.head(key))) throw notFound(`no snapshot "${id}" in ${store.url}`);
  const { manifest } = await readManifest(store, key);
  const part = manifest.tables.interactions;
  if (!part) throw notFound(`snapshot ${id} has no interactions part`);
  const lines = await readPartLines(store, part);
  const users = new Float64Array(lines.length), movies = new Float64Array(lines.length);
  let maxTs = -Infinity;
  lines.forEach((line, i) => {
    const r = JSON.parse(line) as { user_id: number; movie_id: number; ts: number };
    users[i] = r.user_id;
    movies[i] = r.movie_id;
    maxTs = Math.max(maxTs, r.ts);
  });
  return { users, movies, maxTs };
}

/** The newest `limit` interactions with a timestamp after `afterTs`. */
export async function interactionsAfter(
  db: Sql,
  afterTs: number,
  options: { limit: number },
): Promise<TimedSample> {
  const [row] = await db.query<{ u: number[] | null; m: number[] | null; t: number | null }>(
    `SELECT array_agg(user_id) AS u, array_agg(movie_id) AS m, max(ts) AS t FROM (
       SELECT user_id, movie_id, ts FROM interactions WHERE ts > $1
       ORDER BY ts DESC, user_id DESC, movie_id DESC LIMIT $2) x`,
    [afterTs, options.limit],
  );
  return {
    users: (row?.u ?? []).map(Number),
    movies: (row?.m ?? []).map(Number),
    maxTs: row?.t === null || row?.t === undefined ? afterTs : Number(row.t),
  };
}

/** Every movie's genres. */
export async function movieGenres(db: Sql): Promise<Map<number, string[]>> {
  const rows = await db.query<{ id: number; genres: string[] }>("SELECT id, genres FROM movies");
  return new Map(rows.map((r) => [Number(r.id), r.genres]));
}

/** A feature's bins with both shares, for the report. */
export function detail(reference: Histogram, recent: Histogram): FeatureDetail {
  const bins = [...new Set([...reference.keys(), ...recent.keys()])].sort();
  return { bins, reference: shares(reference, bins), recent: shares(recent, bins) };
}

/** Scores `recent` against `reference` on the three data features. */
export function dataDriftScores(
  reference: Sample,
  recent: Sample,
  genres: Map<number, string[]>,
): { scores: Record<string, number>; details: Record<string, FeatureDetail> } {
  const genresOf = (m: number) => genres.get(m) ?? [];
  const bucketOf = popularityBuckets(reference);
  const referenceCounts = userCounts(reference);
  const allCounts = userCounts(reference, recent);
  const pairs: Record<string, [Histogram, Histogram]> = {
    genre_mix: [genreMix(reference, genresOf), genreMix(recent, genresOf)],
    popularity_bucket: [popularityMix(reference, bucketOf), popularityMix(recent, bucketOf)],
    user_activity: [activityMix(reference, referenceCounts), activityMix(recent, allCounts)],
  };
  const scores: Record<string, number> = {};
  const details: Record<string, FeatureDetail> = {};
  for (const [feature, [e, a]] of Object.entries(pairs)) {
    scores[feature] = psi(e, a);
    details[feature] = detail(e, a);
  }
  return { scores, details };
}

/** The report of `recent` against snapshot `snapshotId`'s interactions. */
export function dataDriftReport(
  input: {
    snapshotId: string;
    reference: TimedSample;
    recent: TimedSample;
    genres: Map<number, string[]>;
  },
  options: { threshold: number; checkedAt: Date },
): DriftReportInput {
  const { snapshotId, reference, recent } = input;
  const n = recent.movies.length;
  return {
    kind: "data",
    key: `data:${snapshotId}:${n}:${recent.maxTs}`,
    reference: snapshotId,
    subject: `${n} interactions after the snapshot's newest (ts ${reference.maxTs})`,
    sampleSize: n,
    threshold: options.threshold,
    ...dataDriftScores(reference, recent, input.genres),
    overlapAt10: null,
    checkedAt: options.checkedAt,
  };
}
