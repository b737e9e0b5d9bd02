/** Row mapping for runs: a run row plus its params, tags and latest metrics, loaded with three queries per page. */
import type { Row, Sql } from "../db/types.ts";
import type { Run, RunStatus } from "./store.ts";

function toRunFields(r: Row): Omit<Run, "params" | "tags" | "metrics"> {
  return {
    id: r.id as string,
    experimentId: Number(r.experiment_id),
    experimentName: r.experiment_name as string,
    name: r.name as string,
    status: r.status as RunStatus,
    statusReason: (r.status_reason as string | null) ?? null,
    startTime: new Date(r.start_time as Date),
    endTime: r.end_time ? new Date(r.end_time as Date) : null,
    heartbeatAt: new Date(r.heartbeat_at as Date),
    codeVersion: (r.code_version as string | null) ?? null,
    snapshotId: (r.snapshot_id as string | null) ?? null,
    parentRunId: (r.parent_run_id as string | null) ?? null,
  };
}

/** Runs joined with their experiment's name. */
export const RUN_SELECT =
  `SELECT r.*, e.name AS experiment_name FROM runs r JOIN experiments e ON e.id = r.experiment_id`;

/** Adds params, tags and latest metrics to run rows with three queries, whatever the page size. */
export async function hydrateRuns(db: Sql, rows: Row[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.id));
  const inIds = `run_id IN (SELECT jsonb_array_elements_text($1::jsonb))`;
  // Sequential on purpose: a transaction or PGlite runs one statement at a time anyway.
  const params = await db.query(
    `SELECT run_id, key, value FROM run_params WHERE ${inIds}`,
    [ids],
  );
  const tags = await db.query(`SELECT run_id, key, value FROM run_tags WHERE ${inIds}`, [
    ids,
  ]);
  const metrics = await db.query(
    `SELECT DISTINCT ON (run_id, key) run_id, key, value FROM run_metrics WHERE ${inIds}
     ORDER BY run_id, key, step DESC`,
    [ids],
  );
  const runs = new Map<string, Run>();
  for (const r of rows) {
    runs.set(r.id as string, { ...toRunFields(r), params: {}, tags: {}, metrics: {} });
  }
  for (const p of params) {
    runs.get(p.run_id as string)!.params[p.key as string] = p.value as string;
  }
  for (const t of tags) runs.get(t.run_id as string)!.tags[t.key as string] = t.value as string;
  for (const m of metrics) {
    runs.get(m.run_id as string)!.metrics[m.key as string] = Number(m.value);
  }
  return [...runs.values()];
}
