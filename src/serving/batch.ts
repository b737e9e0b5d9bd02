/**
 * The batch step: top-k for every user from one model version, written to the database in one
 * transaction keyed by (model, version) — a re-run replaces its own rows, never duplicates them.
 * `/api/v1/recommendations/latest` reads the newest finished batch.
 */
import type { Sql } from "../db/types.ts";
import { MODEL_NAME } from "../registry/store.ts";
import type { UserHistories } from "./histories.ts";
import type { ServedModel } from "./model_holder.ts";

/** What a batch wrote. */
export interface BatchResult {
  version: number;
  k: number;
  users: number;
  rows: number;
}

/** Scores every user with `served` (in chunks of `chunk` histories) and stores the top `k`. */
export async function writeBatchRecommendations(
  db: Sql,
  served: Pick<ServedModel, "version" | "scorer">,
  options: { histories: UserHistories; k: number; now: Date; chunk?: number },
): Promise<BatchResult> {
  const users = options.histories.users().sort((a, b) => a - b);
  const chunk = options.chunk ?? 256;
  const cols = {
    user: [] as number[],
    rank: [] as number[],
    movie: [] as number[],
    score: [] as number[],
  };
  for (let s = 0; s < users.length; s += chunk) {
    const part = users.slice(s, s + chunk);
    const ranked = await served.scorer.rank(
      part.map((u) => ({ history: options.histories.get(u)!, k: options.k })),
    );
    ranked.forEach((items, i) =>
      items.forEach((it, r) => {
        cols.user.push(part[i]);
        cols.rank.push(r + 1);
        cols.movie.push(it.movieId);
        cols.score.push(it.score);
      })
    );
  }
  const version = served.version.version;
  await db.transaction(async (tx) => {
    await tx.query("DELETE FROM batch_recommendations WHERE model = $1 AND version = $2", [
      MODEL_NAME,
      version,
    ]);
    const step = 20_000;
    for (let s = 0; s < cols.user.length; s += step) {
      await tx.query(
        `INSERT INTO batch_recommendations (model, version, user_id, rank, movie_id, score)
         SELECT $1, $2, u, r, m, sc FROM unnest($3::int8[], $4::int4[], $5::int8[], $6::float4[])
           AS x(u, r, m, sc)`,
        [
          MODEL_NAME,
          version,
          cols.user.slice(s, s + step),
          cols.rank.slice(s, s + step),
          cols.movie.slice(s, s + step),
          cols.score.slice(s, s + step),
        ],
      );
    }
    await tx.query(
      `INSERT INTO batch_recommendation_runs (model, version, k, users, created_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz)
       ON CONFLICT (model, version) DO UPDATE SET k = excluded.k, users = excluded.users,
         created_at = excluded.created_at`,
      [MODEL_NAME, version, options.k, users.length, options.now.toISOString()],
    );
  });
  return { version, k: options.k, users: users.length, rows: cols.user.length };
}

/** A page of the newest batch: per user, their top movies by rank. */
export interface LatestBatch {
  version: number;
  createdAt: Date;
  users: { userId: number; items: { movieId: number; score: number }[] }[];
  more: boolean;
}

/** The newest finished batch, `limit` users after `afterUser`, at most `k` movies each; null when none. */
export async function latestBatch(
  db: Sql,
  options: { k: number; limit: number; afterUser?: number },
): Promise<LatestBatch | null> {
  const [run] = await db.query<{ version: number; created_at: Date }>(
    `SELECT version, created_at FROM batch_recommendation_runs WHERE model = $1
     ORDER BY created_at DESC, version DESC LIMIT 1`,
    [MODEL_NAME],
  );
  if (!run) return null;
  const rows = await db.query<{ user_id: number; movie_id: number; score: number }>(
    `WITH page AS (
       SELECT DISTINCT user_id FROM batch_recommendations
       WHERE model = $1 AND version = $2 AND user_id > $3 ORDER BY user_id LIMIT $4)
     SELECT b.user_id, b.movie_id, b.score FROM batch_recommendations b JOIN page USING (user_id)
     WHERE b.model = $1 AND b.version = $2 AND b.rank <= $5 ORDER BY b.user_id, b.rank`,
    [MODEL_NAME, run.version, options.afterUser ?? -1, options.limit + 1, options.k],
  );
  const byUser = new Map<number, { movieId: number; score: number }[]>();
  for (const r of rows) {
    const list = byUser.get(r.user_id) ?? [];
    list.push({ movieId: r.movie_id, score: r.score });
    byUser.set(r.user_id, list);
  }
  const users = [...byUser].map(([userId, items]) => ({ userId, items }));
  return {
    version: run.version,
    createdAt: run.created_at,
    users: users.slice(0, options.limit),
    more: users.length > options.limit,
  };
}
