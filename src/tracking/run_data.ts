/** Writes a run's params, tags and metrics inside a caller's transaction, each in one statement. */
import { invalid, ReelrankError } from "../errors.ts";
import type { Sql } from "../db/types.ts";

/** Keys are shown in tables and used in filters: non-empty and of a sane length. */
export function checkKey(kind: string, k: string): void {
  if (typeof k !== "string" || k === "" || k.length > 250) {
    throw invalid(
      `${kind} key must be a non-empty string of at most 250 characters, got ${JSON.stringify(k)}`,
    );
  }
}

/** Inserts params; an existing key with another value is a CONFLICT (params are immutable). */
export async function writeParams(
  tx: Sql,
  runId: string,
  params: Record<string, string | number | boolean>,
): Promise<void> {
  const entries = Object.entries(params).map(([k, v]) => {
    checkKey("param", k);
    if (!["string", "number", "boolean"].includes(typeof v)) {
      throw invalid(`param "${k}" must be a string, number or boolean, got ${JSON.stringify(v)}`);
    }
    return [k, String(v)];
  });
  if (entries.length === 0) return;
  const json = JSON.stringify(Object.fromEntries(entries));
  const clashes = await tx.query(
    `SELECT p.key, p.value, j.value AS wanted FROM run_params p JOIN jsonb_each_text($2::jsonb) j ON j.key = p.key
     WHERE p.run_id = $1 AND p.value <> j.value`,
    [runId, json],
  );
  if (clashes.length > 0) {
    const c = clashes[0];
    throw new ReelrankError(
      "CONFLICT",
      `param "${c.key}" of run "${runId}" is already "${c.value}", cannot change it to "${c.wanted}"; params are immutable`,
    );
  }
  await tx.query(
    `INSERT INTO run_params (run_id, key, value) SELECT $1, key, value FROM jsonb_each_text($2::jsonb)
     ON CONFLICT (run_id, key) DO NOTHING`,
    [runId, json],
  );
}

/** Upserts tags. */
export async function writeTags(
  tx: Sql,
  runId: string,
  tags: Record<string, string>,
): Promise<void> {
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    if (typeof v !== "string") {
      throw invalid(`tag "${k}" must be a string, got ${JSON.stringify(v)}`);
    }
  }
  if (Object.keys(tags).length === 0) return;
  await tx.query(
    `INSERT INTO run_tags (run_id, key, value) SELECT $1, key, value FROM jsonb_each_text($2::jsonb)
     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
    [runId, JSON.stringify(tags)],
  );
}

/** One metric value to log. */
export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  timestamp?: Date;
}

/** Upserts metric points in one statement; re-logging a (key, step) replaces its value. */
export async function writeMetrics(
  tx: Sql,
  runId: string,
  opts: { points: MetricInput[]; now: Date },
): Promise<void> {
  const now = opts.now.toISOString();
  // One row per (key, step), last value wins: ON CONFLICT cannot touch the same row twice.
  const byKeyStep = new Map<string, { key: string; step: number; value: string; ts: string }>();
  for (const pt of opts.points) {
    checkKey("metric", pt.key);
    const step = pt.step ?? 0;
    if (!Number.isSafeInteger(step)) {
      throw invalid(`metric "${pt.key}" step must be an integer, got ${step}`);
    }
    if (typeof pt.value !== "number") {
      throw invalid(`metric "${pt.key}" value must be a number, got ${JSON.stringify(pt.value)}`);
    }
    // As text so NaN and ±Infinity (a diverged loss) survive JSON and cast exactly to float8.
    const value = String(pt.value);
    byKeyStep.set(`${pt.key}\u0000${step}`, {
      key: pt.key,
      step,
      value,
      ts: pt.timestamp?.toISOString() ?? now,
    });
  }
  await tx.query(
    `INSERT INTO run_metrics (run_id, key, step, value, logged_at)
     SELECT $1, x.key, x.step, x.value::float8, x.ts::timestamptz
     FROM jsonb_to_recordset($2::jsonb) AS x(key text, step bigint, value text, ts text)
     ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, logged_at = excluded.logged_at`,
    [runId, JSON.stringify([...byKeyStep.values()])],
  );
}
