/** Builds the SQL of `searchRuns` from a structured filter and order, with keyset pagination. */
import { invalid } from "../errors.ts";
import type { Cursor } from "./page_token.ts";
import type { RunFilter, RunOrder, RunStatus } from "./store.ts";

const STATUSES: readonly RunStatus[] = ["running", "finished", "failed", "killed"];
const OPS = new Set(["<", "<=", ">", ">=", "=", "!="]);
/** Most searches ask for one page of a screen; a hard cap keeps a bad caller from loading everything. */
export const MAX_LIMIT = 1000;

/** A statement ready for `Sql.query`. */
export interface Statement {
  text: string;
  params: unknown[];
}

/** The validated, normalised query; its JSON is what page tokens are bound to. */
export interface NormalisedSearch {
  filter: RunFilter;
  order: {
    field: "start_time" | "end_time" | "metric";
    metric?: string;
    direction: "asc" | "desc";
  };
  limit: number;
}

function key(kind: string, k: unknown): string {
  if (typeof k !== "string" || k === "") {
    throw invalid(`${kind} name must be a non-empty string, got ${JSON.stringify(k)}`);
  }
  return k;
}

/** Checks every field of a search and fills in defaults; throws INVALID_PARAMETER naming the bad value. */
export function normaliseSearch(
  opts: { filter?: RunFilter; orderBy?: RunOrder; limit?: number },
): NormalisedSearch {
  const limit = opts.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalid(`limit must be an integer in 1..${MAX_LIMIT}, got ${limit}`);
  }
  const f = opts.filter ?? {};
  const statuses = f.status === undefined ? undefined : [f.status].flat();
  for (const s of statuses ?? []) {
    if (!STATUSES.includes(s)) {
      throw invalid(`status must be one of ${STATUSES.join(", ")}, got "${s}"`);
    }
  }
  for (const c of f.metrics ?? []) {
    key("metric", c.metric);
    if (!OPS.has(c.op)) {
      throw invalid(`metric op must be one of ${[...OPS].join(" ")}, got "${c.op}"`);
    }
    if (typeof c.value !== "number") {
      throw invalid(`metric value must be a number, got ${JSON.stringify(c.value)}`);
    }
  }
  const o = opts.orderBy ?? { field: "start_time" as const, direction: "desc" as const };
  const direction = o.direction ?? "desc";
  if (direction !== "asc" && direction !== "desc") {
    throw invalid(`orderBy.direction must be "asc" or "desc", got "${direction}"`);
  }
  let order: NormalisedSearch["order"];
  if ("metric" in o) {
    order = { field: "metric", metric: key("orderBy metric", o.metric), direction };
  } else if (o.field === "start_time" || o.field === "end_time") {
    order = { field: o.field, direction };
  } else {throw invalid(
      `orderBy.field must be "start_time" or "end_time", got "${(o as { field: unknown }).field}"`,
    );}
  const filter: RunFilter = {};
  if (f.experiment !== undefined) filter.experiment = key("experiment", f.experiment);
  if (statuses) filter.status = [...statuses].sort();
  if (f.tags) filter.tags = Object.fromEntries(Object.entries(f.tags).sort());
  if (f.params) filter.params = Object.fromEntries(Object.entries(f.params).sort());
  if (f.metrics?.length) {
    filter.metrics = f.metrics.map((c) => ({ metric: c.metric, op: c.op, value: c.value }));
  }
  if (f.parentRunId === null) filter.parentRunId = null;
  else if (f.parentRunId !== undefined) filter.parentRunId = key("parent run id", f.parentRunId);
  return { filter, order, limit };
}

/**
 * The search statement: rows of `runs` plus `experiment_name` and `sort_text` (the sort value as
 * text, for the next cursor). Fetches `limit + 1` rows so the caller knows whether a page follows.
 */
export function buildSearch(q: NormalisedSearch, after?: Cursor): Statement {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const latest = (metric: string) =>
    `(SELECT m.value FROM run_metrics m WHERE m.run_id = r.id AND m.key = ${
      p(metric)
    } ORDER BY m.step DESC LIMIT 1)`;
  const where: string[] = [];
  const f = q.filter;
  if (f.experiment !== undefined) where.push(`e.name = ${p(f.experiment)}`);
  if (f.status) where.push(`r.status IN (${[f.status].flat().map(p).join(", ")})`);
  for (const [k, v] of Object.entries(f.tags ?? {})) {
    where.push(
      `EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.key = ${p(k)} AND t.value = ${
        p(String(v))
      })`,
    );
  }
  for (const [k, v] of Object.entries(f.params ?? {})) {
    where.push(
      `EXISTS (SELECT 1 FROM run_params x WHERE x.run_id = r.id AND x.key = ${p(k)} AND x.value = ${
        p(String(v))
      })`,
    );
  }
  if (f.parentRunId === null) where.push(`r.parent_run_id IS NULL`);
  else if (f.parentRunId !== undefined) where.push(`r.parent_run_id = ${p(f.parentRunId)}`);
  for (const c of f.metrics ?? []) {
    const op = c.op === "!=" ? "<>" : c.op;
    where.push(`${latest(c.metric)} ${op} ${p(String(c.value))}::float8`);
  }
  const sortExpr = q.order.field === "metric" ? latest(q.order.metric!) : `r.${q.order.field}`;
  const cast = q.order.field === "metric" ? "float8" : "timestamptz";
  const dir = q.order.direction === "asc" ? "ASC" : "DESC";
  let keyset = "TRUE";
  if (after) {
    const id = p(after.id);
    if (after.value === null) keyset = `(s.sort_value IS NULL AND s.id > ${id})`;
    else {
      const v = `${p(after.value)}::${cast}`;
      const beyond = dir === "ASC" ? ">" : "<";
      keyset =
        `(s.sort_value ${beyond} ${v} OR (s.sort_value = ${v} AND s.id > ${id}) OR s.sort_value IS NULL)`;
    }
  }
  const text = `SELECT s.*, s.sort_value::text AS sort_text FROM (
      SELECT r.*, e.name AS experiment_name, ${sortExpr} AS sort_value
      FROM runs r JOIN experiments e ON e.id = r.experiment_id
      WHERE ${where.length ? where.join(" AND ") : "TRUE"}
    ) s
    WHERE ${keyset}
    ORDER BY s.sort_value ${dir} NULLS LAST, s.id ASC
    LIMIT ${q.limit + 1}`; // validated integer, inlined
  return { text, params };
}
