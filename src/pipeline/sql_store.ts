/** The SQL implementation of PipelineStore (PostgreSQL and PGlite run the same statements). */
import type { Sql } from "../db/types.ts";
import { invalid, notFound, ReelrankError } from "../errors.ts";
import type { Json } from "./dag.ts";
import type {
  Attempt,
  CreateRunOptions,
  ListRunsOptions,
  LogLine,
  PipelineRun,
  PipelineRunStatus,
  PipelineStore,
  TaskState,
} from "./store.ts";

/** Error texts are for people; a stack-sized one is useless in a table and costly in a row. */
const MAX_TEXT = 4000;
const cut = (s: string | undefined) => (s === undefined ? null : s.slice(0, MAX_TEXT));
const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as Date));
const iso = (d: Date) => d.toISOString();

function toTask(r: Record<string, unknown>): TaskState {
  return {
    taskId: r.task_id as string,
    status: r.status as TaskState["status"],
    tries: Number(r.tries),
    result: (r.result ?? null) as Json | null,
    startedAt: date(r.started_at),
    endedAt: date(r.ended_at),
  };
}

function toRun(r: Record<string, unknown>, tasks: TaskState[]): PipelineRun {
  return {
    id: r.id as string,
    dag: r.dag as string,
    trigger: r.trigger as PipelineRun["trigger"],
    logicalDate: new Date(r.logical_date as Date),
    params: (r.params ?? {}) as PipelineRun["params"],
    status: r.status as PipelineRunStatus,
    statusReason: (r.status_reason ?? null) as string | null,
    fromRunId: (r.from_run_id ?? null) as string | null,
    fromTask: (r.from_task ?? null) as string | null,
    createdAt: new Date(r.created_at as Date),
    startedAt: date(r.started_at),
    endedAt: date(r.ended_at),
    heartbeatAt: new Date(r.heartbeat_at as Date),
    host: r.host as string,
    pid: r.pid === null || r.pid === undefined ? null : Number(r.pid),
    tasks,
  };
}

/** Pipeline runs over a `Sql` connection; timestamps come from `clock`. */
export class SqlPipelineStore implements PipelineStore {
  readonly #db: Sql;
  readonly #now: () => Date;

  constructor(db: Sql, options: { clock?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.clock ?? (() => new Date());
  }

  async createRun(opts: CreateRunOptions): Promise<PipelineRun> {
    const now = iso(this.#now());
    const created = await this.#db.transaction(async (tx) => {
      // The partial unique index admits one active run per DAG: a second insert does nothing
      // (after waiting for a concurrent one to commit), whichever process or host makes it.
      const inserted = await tx.query(
        `INSERT INTO pipeline_runs (id, dag, trigger, logical_date, params, status, from_run_id,
           from_task, created_at, heartbeat_at, host, pid)
         VALUES ($1, $2, $3, $4::timestamptz, $5::jsonb, 'queued', $6, $7, $8::timestamptz,
           $8::timestamptz, $9, $10)
         ON CONFLICT (dag) WHERE status IN ('queued', 'running') DO NOTHING RETURNING id`,
        [
          opts.id,
          opts.dag,
          opts.trigger,
          iso(opts.logicalDate),
          JSON.stringify(opts.params),
          opts.from?.runId ?? null,
          opts.from?.taskId ?? null,
          now,
          opts.host,
          opts.pid,
        ],
      );
      if (inserted.length === 0) return false;
      for (const [position, taskId] of opts.taskIds.entries()) {
        const reused = opts.from && taskId in opts.from.reused;
        await tx.query(
          `INSERT INTO pipeline_tasks (run_id, task_id, position, status, result, ended_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz)`,
          [
            opts.id,
            taskId,
            position,
            reused ? "reused" : "pending",
            reused ? JSON.stringify(opts.from!.reused[taskId]) : null,
            reused ? now : null,
          ],
        );
      }
      return true;
    });
    if (!created) {
      const active = await this.activeRun(opts.dag);
      throw new ReelrankError(
        "CONFLICT",
        `DAG "${opts.dag}" already has an active run${
          active
            ? ` (${active.id}, ${active.status} since ${iso(active.createdAt)} on ${
              active.host || "?"
            })`
            : ""
        }; wait for it to finish`,
      );
    }
    return this.getRun(opts.id);
  }

  async getRun(id: string): Promise<PipelineRun> {
    const rows = await this.#db.query(`SELECT * FROM pipeline_runs WHERE id = $1`, [id]);
    if (rows.length === 0) {
      throw notFound(`pipeline run "${id}" does not exist; \`deno task pipeline list\` lists runs`);
    }
    return (await this.#hydrate(rows))[0];
  }

  async activeRun(dag: string): Promise<PipelineRun | null> {
    const rows = await this.#db.query(
      `SELECT * FROM pipeline_runs WHERE dag = $1 AND status IN ('queued', 'running')`,
      [dag],
    );
    return rows.length ? (await this.#hydrate(rows))[0] : null;
  }

  async listRuns(opts: ListRunsOptions = {}): Promise<{ items: PipelineRun[]; more: boolean }> {
    const limit = opts.limit ?? 25;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw invalid(`limit must be an integer in 1..1000, got ${limit}`);
    }
    let after: { created_at: Date; id: string } | undefined;
    if (opts.before !== undefined) {
      const [row] = await this.#db.query<{ created_at: Date; id: string }>(
        `SELECT created_at, id FROM pipeline_runs WHERE id = $1`,
        [opts.before],
      );
      if (!row) throw invalid(`before: no pipeline run "${opts.before}" to page from`);
      after = row;
    }
    const rows = await this.#db.query(
      `SELECT * FROM pipeline_runs
       WHERE ($1::text IS NULL OR dag = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
       ORDER BY created_at DESC, id DESC LIMIT $5`,
      [
        opts.dag ?? null,
        opts.status ?? null,
        after ? iso(new Date(after.created_at)) : null,
        after?.id ?? null,
        limit + 1,
      ],
    );
    return { items: await this.#hydrate(rows.slice(0, limit)), more: rows.length > limit };
  }

  async markRunning(id: string): Promise<void> {
    const now = iso(this.#now());
    const rows = await this.#db.query(
      `UPDATE pipeline_runs SET status = 'running', started_at = $2::timestamptz,
         heartbeat_at = $2::timestamptz WHERE id = $1 AND status = 'queued' RETURNING id`,
      [id, now],
    );
    if (rows.length === 0) {
      const run = await this.getRun(id);
      throw new ReelrankError("CONFLICT", `pipeline run "${id}" is ${run.status}, not queued`);
    }
  }

  async heartbeat(id: string): Promise<PipelineRunStatus> {
    const rows = await this.#db.query<{ status: PipelineRunStatus }>(
      `UPDATE pipeline_runs SET heartbeat_at = CASE WHEN status IN ('queued', 'running')
         THEN $2::timestamptz ELSE heartbeat_at END WHERE id = $1 RETURNING status`,
      [id, iso(this.#now())],
    );
    if (rows.length === 0) throw notFound(`pipeline run "${id}" does not exist`);
    return rows[0].status;
  }

  async finishRun(
    id: string,
    outcome: { status: "success" | "failed"; reason?: string },
  ): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE pipeline_runs SET status = $2, status_reason = $3, ended_at = $4::timestamptz,
         started_at = COALESCE(started_at, $4::timestamptz)
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id, outcome.status, cut(outcome.reason), iso(this.#now())],
    );
    return rows.length > 0;
  }

  async startAttempt(runId: string, taskId: string): Promise<number> {
    const now = iso(this.#now());
    return await this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ tries: number }>(
        `UPDATE pipeline_tasks SET tries = tries + 1, status = 'running',
           started_at = COALESCE(started_at, $3::timestamptz), ended_at = NULL
         WHERE run_id = $1 AND task_id = $2 RETURNING tries`,
        [runId, taskId, now],
      );
      if (rows.length === 0) throw notFound(`pipeline run "${runId}" has no task "${taskId}"`);
      const attempt = Number(rows[0].tries);
      await tx.query(
        `INSERT INTO pipeline_task_attempts (run_id, task_id, attempt, status, started_at)
         VALUES ($1, $2, $3, 'running', $4::timestamptz)`,
        [runId, taskId, attempt, now],
      );
      return attempt;
    });
  }

  async finishAttempt(
    runId: string,
    taskId: string,
    o: Parameters<PipelineStore["finishAttempt"]>[2],
  ): Promise<void> {
    const now = iso(this.#now());
    const result = o.result === undefined ? null : JSON.stringify(o.result);
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `UPDATE pipeline_task_attempts SET status = $4, ended_at = $5::timestamptz,
           duration_seconds = $6, error = $7, permanent = $8, result = $9::jsonb
         WHERE run_id = $1 AND task_id = $2 AND attempt = $3`,
        [
          runId,
          taskId,
          o.attempt,
          o.status,
          now,
          o.durationSeconds,
          cut(o.error),
          !!o.permanent,
          result,
        ],
      );
      await tx.query(
        `UPDATE pipeline_tasks SET status = $3,
           result = CASE WHEN $3 = 'success' THEN $4::jsonb ELSE result END,
           ended_at = CASE WHEN $3 = 'up_for_retry' THEN NULL ELSE $5::timestamptz END
         WHERE run_id = $1 AND task_id = $2`,
        [runId, taskId, o.task, result, now],
      );
    });
  }

  async markUpstreamFailed(runId: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.#db.query(
      `UPDATE pipeline_tasks SET status = 'upstream_failed', ended_at = $3::timestamptz
       WHERE run_id = $1 AND task_id = ANY($2::text[]) AND status = 'pending'`,
      [runId, [...taskIds], iso(this.#now())],
    );
  }

  async listAttempts(runId: string): Promise<Attempt[]> {
    const rows = await this.#db.query(
      `SELECT a.* FROM pipeline_task_attempts a
       JOIN pipeline_tasks t ON t.run_id = a.run_id AND t.task_id = a.task_id
       WHERE a.run_id = $1 ORDER BY t.position, a.attempt`,
      [runId],
    );
    return rows.map((r) => ({
      taskId: r.task_id as string,
      attempt: Number(r.attempt),
      status: r.status as Attempt["status"],
      startedAt: new Date(r.started_at as Date),
      endedAt: date(r.ended_at),
      durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
      error: (r.error ?? null) as string | null,
      permanent: r.permanent as boolean,
      result: (r.result ?? null) as Json | null,
    }));
  }

  async appendLogs(runId: string, lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.#db.query(
      `INSERT INTO pipeline_task_logs (run_id, task_id, attempt, seq, at, level, message, fields)
       SELECT $1, x.t, x.a, x.s, x.at, x.l, x.m, x.f::jsonb
       FROM unnest($2::text[], $3::int4[], $4::int4[], $5::timestamptz[], $6::text[], $7::text[], $8::text[])
         AS x(t, a, s, at, l, m, f)
       ON CONFLICT (run_id, task_id, attempt, seq) DO UPDATE SET at = excluded.at,
         level = excluded.level, message = excluded.message, fields = excluded.fields`,
      [
        runId,
        lines.map((l) => l.taskId),
        lines.map((l) => l.attempt),
        lines.map((l) => l.seq),
        lines.map((l) => iso(l.at)),
        lines.map((l) => l.level),
        lines.map((l) => l.message.slice(0, MAX_TEXT)),
        lines.map((l) => JSON.stringify(l.fields)),
      ],
    );
  }

  async readLogs(
    runId: string,
    opts: { taskId?: string; attempt?: number } = {},
  ): Promise<LogLine[]> {
    const rows = await this.#db.query(
      `SELECT l.* FROM pipeline_task_logs l
       JOIN pipeline_tasks t ON t.run_id = l.run_id AND t.task_id = l.task_id
       WHERE l.run_id = $1 AND ($2::text IS NULL OR l.task_id = $2)
         AND ($3::int4 IS NULL OR l.attempt = $3)
       ORDER BY t.position, l.attempt, l.seq`,
      [runId, opts.taskId ?? null, opts.attempt ?? null],
    );
    return rows.map((r) => ({
      taskId: r.task_id as string,
      attempt: Number(r.attempt),
      seq: Number(r.seq),
      at: new Date(r.at as Date),
      level: r.level as LogLine["level"],
      message: r.message as string,
      fields: (r.fields ?? {}) as Record<string, Json>,
    }));
  }

  async reapStale(
    opts: { now: Date; maxAgeMs?: number; reason: string; keep?: readonly string[] },
  ): Promise<string[]> {
    const now = iso(opts.now);
    const cutoff = opts.maxAgeMs === undefined
      ? null
      : iso(new Date(opts.now.getTime() - opts.maxAgeMs));
    return await this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        `UPDATE pipeline_runs SET status = 'failed', ended_at = $1::timestamptz,
           started_at = COALESCE(started_at, $1::timestamptz), status_reason = $3
         WHERE status IN ('queued', 'running')
           AND ($2::timestamptz IS NULL OR heartbeat_at < $2::timestamptz)
           AND NOT (id = ANY($4::text[])) RETURNING id`,
        [now, cutoff, cut(opts.reason), [...(opts.keep ?? [])]],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length) {
        await tx.query(
          `UPDATE pipeline_task_attempts SET status = 'failed', ended_at = $2::timestamptz,
             duration_seconds = EXTRACT(EPOCH FROM ($2::timestamptz - started_at)), error = $3
           WHERE run_id = ANY($1::text[]) AND status = 'running'`,
          [ids, now, cut(opts.reason)],
        );
        await tx.query(
          `UPDATE pipeline_tasks SET status = 'failed', ended_at = $2::timestamptz
           WHERE run_id = ANY($1::text[]) AND status IN ('running', 'up_for_retry')`,
          [ids, now],
        );
      }
      return ids;
    });
  }

  async lastSuccess(): Promise<Record<string, Date>> {
    const rows = await this.#db.query<{ dag: string; at: Date }>(
      `SELECT dag, max(ended_at) AS at FROM pipeline_runs WHERE status = 'success' GROUP BY dag`,
    );
    return Object.fromEntries(rows.map((r) => [r.dag, new Date(r.at)]));
  }

  async #hydrate(rows: Record<string, unknown>[]): Promise<PipelineRun[]> {
    if (rows.length === 0) return [];
    const tasks = await this.#db.query(
      `SELECT * FROM pipeline_tasks WHERE run_id = ANY($1::text[]) ORDER BY run_id, position`,
      [rows.map((r) => r.id as string)],
    );
    const byRun = new Map<string, TaskState[]>();
    for (const t of tasks) {
      const list = byRun.get(t.run_id as string) ?? [];
      list.push(toTask(t));
      byRun.set(t.run_id as string, list);
    }
    return rows.map((r) => toRun(r, byRun.get(r.id as string) ?? []));
  }
}
