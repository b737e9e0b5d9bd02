/** The SQL implementation of TrackingStore (PostgreSQL and PGlite run the same statements). */
import { invalid, notFound, ReelrankError } from "../errors.ts";
import type { Sql } from "../db/types.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { readVerified } from "../storage/verified.ts";
import { decodePageToken, encodePageToken } from "./page_token.ts";
import { hydrateRuns, RUN_SELECT } from "./rows.ts";
import { checkKey, writeMetrics, writeParams, writeTags } from "./run_data.ts";
import { buildSearch, normaliseSearch } from "./search_sql.ts";
import type {
  CreateRunOptions,
  Experiment,
  FinalRunStatus,
  MetricPoint,
  Page,
  Run,
  RunArtifact,
  RunStatus,
  SearchRunsOptions,
  TrackingStore,
} from "./store.ts";

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const FINAL: readonly FinalRunStatus[] = ["finished", "failed", "killed"];
/** Reasons are error messages; a stack-sized one is useless in a table and costly in a row. */
const MAX_REASON = 2000;

/** Options of the SQL tracking store. */
export interface SqlTrackingStoreOptions {
  /** Where artifacts go. */
  objects: ObjectStore;
  /** The clock every timestamp comes from; tests pass a fake one. */
  clock?: () => Date;
}

function checkArtifactPath(path: string): void {
  const segments = typeof path === "string" ? path.split("/") : [""];
  if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) {
    throw invalid(
      `artifact path must be a relative path like "model/weights.bin" without "." or "..", got "${path}"`,
    );
  }
}

/** Tracking over a `Sql` connection and an object store. */
export class SqlTrackingStore implements TrackingStore {
  readonly #db: Sql;
  readonly #objects: ObjectStore;
  readonly #now: () => Date;

  constructor(db: Sql, opts: SqlTrackingStoreOptions) {
    this.#db = db;
    this.#objects = opts.objects;
    this.#now = opts.clock ?? (() => new Date());
  }

  async ensureExperiment(name: string): Promise<Experiment> {
    checkKey("experiment", name);
    await this.#db.query(
      `INSERT INTO experiments (name, created_at) VALUES ($1, $2::timestamptz) ON CONFLICT (name) DO NOTHING`,
      [name, this.#now().toISOString()],
    );
    const [row] = await this.#db.query(
      `SELECT id, name, created_at FROM experiments WHERE name = $1`,
      [name],
    );
    return {
      id: Number(row.id),
      name: row.name as string,
      createdAt: new Date(row.created_at as Date),
    };
  }

  async listExperiments(): Promise<Experiment[]> {
    const rows = await this.#db.query(`SELECT id, name, created_at FROM experiments ORDER BY id`);
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name as string,
      createdAt: new Date(r.created_at as Date),
    }));
  }

  async createRun(opts: CreateRunOptions): Promise<Run> {
    const id = opts.id ?? crypto.randomUUID();
    if (typeof id !== "string" || !RUN_ID.test(id)) {
      throw invalid(
        `run id must be 1-200 letters, digits, ".", "_" or "-", got ${JSON.stringify(id)}`,
      );
    }
    const experiment = await this.ensureExperiment(opts.experiment);
    const now = this.#now().toISOString();
    const parent = opts.parentRunId ?? null;
    if (parent !== null) {
      const found = await this.#db.query(`SELECT 1 FROM runs WHERE id = $1`, [parent]);
      if (found.length === 0) {
        throw notFound(`parent run "${parent}" does not exist; start the parent run first`);
      }
    }
    await this.#db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO runs (id, experiment_id, name, status, start_time, heartbeat_at, code_version, snapshot_id, parent_run_id)
         VALUES ($1, $2, $3, 'running', $4::timestamptz, $4::timestamptz, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          id,
          experiment.id,
          opts.name ?? "",
          now,
          opts.codeVersion ?? null,
          opts.snapshotId ?? null,
          parent,
        ],
      );
      if (inserted.length === 0) {
        throw new ReelrankError("CONFLICT", `run "${id}" already exists; pick another id`);
      }
      if (opts.params) await writeParams(tx, id, opts.params);
      if (opts.tags) await writeTags(tx, id, opts.tags);
    });
    return this.getRun(id);
  }

  async getRun(runId: string): Promise<Run> {
    const rows = await this.#db.query(`${RUN_SELECT} WHERE r.id = $1`, [runId]);
    if (rows.length === 0) throw notFound(`run "${runId}" does not exist`);
    return (await hydrateRuns(this.#db, rows))[0];
  }

  async endRun(runId: string, opts: { status: FinalRunStatus; reason?: string }): Promise<Run> {
    if (!FINAL.includes(opts.status)) {
      throw invalid(`a run ends as ${FINAL.join(", ")}, got "${opts.status}"`);
    }
    const updated = await this.#db.query(
      `UPDATE runs SET status = $2, status_reason = $3, end_time = $4::timestamptz
       WHERE id = $1 AND status = 'running' RETURNING id`,
      [runId, opts.status, opts.reason?.slice(0, MAX_REASON) ?? null, this.#now().toISOString()],
    );
    if (updated.length === 0) {
      const run = await this.getRun(runId);
      throw new ReelrankError(
        "CONFLICT",
        `run "${runId}" already ended as ${run.status}${
          run.statusReason ? ` (${run.statusReason})` : ""
        }; only a running run can end`,
      );
    }
    return this.getRun(runId);
  }

  async heartbeat(runId: string): Promise<RunStatus> {
    const rows = await this.#db.query(
      `UPDATE runs SET heartbeat_at = CASE WHEN status = 'running' THEN $2::timestamptz ELSE heartbeat_at END
       WHERE id = $1 RETURNING status`,
      [runId, this.#now().toISOString()],
    );
    if (rows.length === 0) throw notFound(`run "${runId}" does not exist`);
    return rows[0].status as RunStatus;
  }

  async reapStaleRuns(opts: { now?: Date; maxAgeMs: number }): Promise<string[]> {
    if (!Number.isFinite(opts.maxAgeMs) || opts.maxAgeMs <= 0) {
      throw invalid(`maxAgeMs must be a positive number of milliseconds, got ${opts.maxAgeMs}`);
    }
    const now = opts.now ?? this.#now();
    const cutoff = new Date(now.getTime() - opts.maxAgeMs);
    const reason =
      `no heartbeat for more than ${opts.maxAgeMs} ms before ${now.toISOString()}; its process probably died`;
    const rows = await this.#db.query(
      `UPDATE runs SET status = 'failed', end_time = $2::timestamptz, status_reason = $3
       WHERE status = 'running' AND heartbeat_at < $1::timestamptz RETURNING id`,
      [cutoff.toISOString(), now.toISOString(), reason],
    );
    return rows.map((r) => r.id as string);
  }

  async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#requireRun(tx, runId);
      await writeParams(tx, runId, params);
    });
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#requireRun(tx, runId);
      await writeTags(tx, runId, tags);
    });
  }

  async logMetrics(
    runId: string,
    points: Array<{ key: string; value: number; step?: number; timestamp?: Date }>,
  ): Promise<void> {
    if (points.length === 0) return;
    const now = this.#now();
    await this.#db.transaction(async (tx) => {
      await this.#requireRun(tx, runId);
      await writeMetrics(tx, runId, { points, now });
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    await this.#requireRun(this.#db, runId);
    const rows = await this.#db.query(
      `SELECT key, value, step, logged_at FROM run_metrics WHERE run_id = $1 AND key = $2 ORDER BY step`,
      [runId, key],
    );
    return rows.map((r) => ({
      key: r.key as string,
      value: Number(r.value),
      step: Number(r.step),
      timestamp: new Date(r.logged_at as Date),
    }));
  }

  async logArtifact(runId: string, path: string, body: Uint8Array): Promise<RunArtifact> {
    checkArtifactPath(path);
    await this.#requireRun(this.#db, runId);
    const key = `runs/${runId}/${path}`;
    const put = await this.#objects.put(key, body);
    const createdAt = this.#now();
    await this.#db.query(
      `INSERT INTO run_artifacts (run_id, path, object_key, sha256, size, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
       ON CONFLICT (run_id, path) DO UPDATE SET object_key = excluded.object_key, sha256 = excluded.sha256,
         size = excluded.size, created_at = excluded.created_at`,
      [runId, path, key, put.sha256, put.size, createdAt.toISOString()],
    );
    return { path, key, sha256: put.sha256, size: put.size, createdAt };
  }

  async listArtifacts(runId: string): Promise<RunArtifact[]> {
    await this.#requireRun(this.#db, runId);
    const rows = await this.#db.query(
      `SELECT path, object_key, sha256, size, created_at FROM run_artifacts WHERE run_id = $1 ORDER BY path`,
      [runId],
    );
    return rows.map((r) => ({
      path: r.path as string,
      key: r.object_key as string,
      sha256: r.sha256 as string,
      size: Number(r.size),
      createdAt: new Date(r.created_at as Date),
    }));
  }

  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    const artifact = (await this.listArtifacts(runId)).find((a) => a.path === path);
    if (!artifact) throw notFound(`run "${runId}" has no artifact "${path}"`);
    return await readVerified(this.#objects, artifact, {
      what: `artifact "${artifact.key}" of run "${runId}"`,
    });
  }

  async searchRuns(opts: SearchRunsOptions = {}): Promise<Page<Run>> {
    const q = normaliseSearch(opts);
    const after = opts.pageToken ? decodePageToken(opts.pageToken, q) : undefined;
    const stmt = buildSearch(q, after);
    const rows = await this.#db.query(stmt.text, stmt.params);
    const page = rows.slice(0, q.limit);
    const items = await hydrateRuns(this.#db, page);
    if (rows.length <= q.limit) return { items };
    const last = page[page.length - 1];
    return {
      items,
      nextPageToken: encodePageToken({
        value: (last.sort_text as string | null) ?? null,
        id: last.id as string,
      }, q),
    };
  }

  async #requireRun(db: Sql, runId: string): Promise<void> {
    const rows = await db.query(`SELECT 1 FROM runs WHERE id = $1`, [runId]);
    if (rows.length === 0) throw notFound(`run "${runId}" does not exist`);
  }
}
