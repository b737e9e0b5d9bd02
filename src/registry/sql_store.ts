/** The SQL implementation of ModelRegistry: versions allocated under a row lock, aliases moved in one transaction. */
import { invalid, notFound, ReelrankError } from "../errors.ts";
import type { Sql } from "../db/types.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { storeArtifact, verifyArtifact } from "./artifacts.ts";
import { checkModel, checkVersion, lockModel, moveAliases, versionIn } from "./aliases.ts";
import { decidePromotion, rollbackTarget } from "./gate.ts";
import { aliasList, toChange, toDecision, toVersion, VERSION_SELECT } from "./rows.ts";
import {
  type AliasChange,
  type AliasChangeKind,
  type CoverageGuardOptions,
  DEFAULT_GATE_METRIC,
  type ModelRegistry,
  type ModelVersion,
  PRODUCTION,
  type PromotionDecision,
  type RegisteredModel,
  type RegisterVersionOptions,
} from "./store.ts";

/** Options of the SQL registry. */
export interface SqlModelRegistryOptions {
  /** Where artifacts are written and read. */
  objects: ObjectStore;
  /** The clock every timestamp comes from; tests pass a fake one. */
  clock?: () => Date;
  /** The gate's coverage guard when a call names none (`REELRANK_GATE_COVERAGE_TOLERANCE`). */
  coverage?: CoverageGuardOptions;
}

/** A registry over a `Sql` connection and an object store. */
export class SqlModelRegistry implements ModelRegistry {
  readonly #db: Sql;
  readonly #objects: ObjectStore;
  readonly #now: () => Date;
  readonly #coverage?: CoverageGuardOptions;

  constructor(db: Sql, opts: SqlModelRegistryOptions) {
    this.#db = db;
    this.#objects = opts.objects;
    this.#now = opts.clock ?? (() => new Date());
    this.#coverage = opts.coverage;
  }

  async registerVersion(model: string, opts: RegisterVersionOptions): Promise<ModelVersion> {
    checkModel(model);
    if (opts.family !== undefined && !/^[a-z][a-z0-9_-]*$/.test(opts.family)) {
      throw invalid(
        `family must be a lowercase name like "ease", got ${JSON.stringify(opts.family)}`,
      );
    }
    const metrics = opts.metrics ?? {};
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw invalid(
          `metric "${k}" of a model version must be a finite number, got ${JSON.stringify(v)}`,
        );
      }
    }
    const artifact = await storeArtifact(this.#objects, model, opts.artifact);
    const now = this.#now().toISOString();
    const version = await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO registered_models (name, created_at) VALUES ($1, $2::timestamptz) ON CONFLICT (name) DO NOTHING`,
        [model, now],
      );
      // The row lock taken here serialises registrations of one model: numbers never collide.
      const [{ last_version }] = await tx.query(
        `SELECT last_version FROM registered_models WHERE name = $1 FOR UPDATE`,
        [model],
      );
      if (opts.runId) {
        const same = await tx.query(
          `SELECT version FROM model_versions WHERE model = $1 AND run_id = $2 AND sha256 = $3 ORDER BY version LIMIT 1`,
          [model, opts.runId, artifact.sha256],
        );
        if (same.length > 0) return Number(same[0].version);
        const run = await tx.query(`SELECT 1 FROM runs WHERE id = $1`, [opts.runId]);
        if (run.length === 0) {
          throw notFound(`run "${opts.runId}" does not exist; register versions from tracked runs`);
        }
      }
      const next = Number(last_version) + 1;
      await tx.query(`UPDATE registered_models SET last_version = $2 WHERE name = $1`, [
        model,
        next,
      ]);
      await tx.query(
        `INSERT INTO model_versions (model, version, artifact_key, sha256, size, run_id, snapshot_id, metrics, description, created_at, family)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::timestamptz, $11)`,
        [
          model,
          next,
          artifact.key,
          artifact.sha256,
          artifact.size,
          opts.runId ?? null,
          opts.snapshotId ?? null,
          JSON.stringify(metrics),
          opts.description ?? "",
          now,
          opts.family ?? null,
        ],
      );
      return next;
    });
    return this.getVersion(model, version);
  }

  async getModel(model: string): Promise<RegisteredModel> {
    checkModel(model);
    const found = (await this.#models(`WHERE m.name = $1`, [model]))[0];
    if (!found) {
      throw notFound(
        `model "${model}" is not registered; register a version first (deno task train)`,
      );
    }
    return found;
  }

  listModels(): Promise<RegisteredModel[]> {
    return this.#models("", []);
  }

  async getVersion(model: string, version: number): Promise<ModelVersion> {
    checkModel(model);
    checkVersion(version);
    const rows = await this.#db.query(`${VERSION_SELECT} WHERE v.model = $1 AND v.version = $2`, [
      model,
      version,
    ]);
    if (rows.length === 0) {
      const m = await this.getModel(model);
      throw notFound(
        `model "${model}" has no version ${version}; ${
          m.latestVersion ? `versions are 1..${m.latestVersion}` : "it has no versions"
        }`,
      );
    }
    return toVersion(rows[0], aliasList(rows[0]));
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    await this.getModel(model);
    const rows = await this.#db.query(
      `${VERSION_SELECT} WHERE v.model = $1 ORDER BY v.version DESC`,
      [model],
    );
    return rows.map((r) => toVersion(r, aliasList(r)));
  }

  async getAlias(model: string, alias: string): Promise<ModelVersion | null> {
    checkModel(model);
    const rows = await this.#db.query(
      `${VERSION_SELECT} JOIN model_aliases a ON a.model = v.model AND a.version = v.version
       WHERE a.model = $1 AND a.alias = $2`,
      [model, alias],
    );
    return rows.length ? toVersion(rows[0], aliasList(rows[0])) : null;
  }

  transaction<T>(fn: (registry: ModelRegistry, tx: Sql) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) =>
      fn(
        new SqlModelRegistry(tx, {
          objects: this.#objects,
          clock: this.#now,
          coverage: this.#coverage,
        }),
        tx,
      )
    );
  }

  setAliases(
    model: string,
    moves: Record<string, number | null>,
    opts: { reason?: string; kind?: AliasChangeKind } = {},
  ): Promise<AliasChange[]> {
    return this.#db.transaction(async (tx) => {
      await lockModel(tx, model);
      return await moveAliases(tx, model, moves, {
        kind: opts.kind ?? "set",
        reason: opts.reason ?? "",
        at: this.#now(),
      });
    });
  }

  async promote(
    model: string,
    version: number,
    opts: { reason?: string } = {},
  ): Promise<AliasChange> {
    checkVersion(version);
    const changes = await this.#db.transaction(async (tx) => {
      await lockModel(tx, model);
      return await moveAliases(tx, model, { [PRODUCTION]: version }, {
        kind: "promote",
        reason: opts.reason ?? "manual promotion",
        at: this.#now(),
      });
    });
    return changes[0] ?? this.#unchanged(model, version, "promote");
  }

  async promoteIfBetter(
    model: string,
    version: number,
    opts: { metric?: string; coverage?: CoverageGuardOptions | null } = {},
  ): Promise<PromotionDecision> {
    checkVersion(version);
    const metric = opts.metric ?? DEFAULT_GATE_METRIC;
    const coverage = opts.coverage === undefined ? this.#coverage : opts.coverage;
    if (coverage && !(coverage.tolerance >= 0 && coverage.tolerance <= 1)) {
      throw invalid(`coverage tolerance must be a number in [0, 1], got ${coverage.tolerance}`);
    }
    return await this.#db.transaction(async (tx) => {
      await lockModel(tx, model);
      const candidate = await versionIn(tx, model, version);
      const prodRows = await tx.query(
        `SELECT v.version, v.metrics FROM model_aliases a JOIN model_versions v ON v.model = a.model AND v.version = a.version
         WHERE a.model = $1 AND a.alias = $2`,
        [model, PRODUCTION],
      );
      const production = prodRows.length ? toVersion({ ...prodRows[0], model }, []) : null;
      const verdict = decidePromotion(candidate, { metric, production, coverage });
      if (verdict.promoted) {
        await moveAliases(tx, model, { [PRODUCTION]: version }, {
          kind: "gate",
          reason: verdict.reason,
          at: this.#now(),
        });
      }
      const [row] = await tx.query(
        `INSERT INTO promotion_decisions (model, version, metric, candidate_value, production_version, production_value,
           promoted, reason, decided_at, guard)
         VALUES ($1, $2, $3, $4::float8, $5, $6::float8, $7, $8, $9::timestamptz, $10::jsonb) RETURNING *`,
        [
          model,
          version,
          metric,
          verdict.candidateValue,
          production?.version ?? null,
          verdict.productionValue,
          verdict.promoted,
          verdict.reason,
          this.#now().toISOString(),
          verdict.guard ? JSON.stringify(verdict.guard) : null,
        ],
      );
      return toDecision(row);
    });
  }

  async rollback(
    model: string,
    opts: { version?: number; reason?: string } = {},
  ): Promise<AliasChange> {
    if (opts.version !== undefined) checkVersion(opts.version);
    return await this.#db.transaction(async (tx) => {
      await lockModel(tx, model);
      const history = (await tx.query(
        `SELECT * FROM model_alias_history WHERE model = $1 AND alias = $2 ORDER BY id`,
        [model, PRODUCTION],
      )).map(toChange);
      const current = history.at(-1)?.toVersion ?? null;
      const target = opts.version ?? rollbackTarget(history);
      if (target === null) {
        throw new ReelrankError(
          "CONFLICT",
          `model "${model}" has no earlier production version to roll back to (production is ${
            current ?? "unset"
          }); pass a version`,
        );
      }
      if (target === current) {
        throw new ReelrankError(
          "CONFLICT",
          `version ${target} of model "${model}" is already production`,
        );
      }
      const reason = opts.reason ?? `rollback from version ${current ?? "none"} to ${target}`;
      const [change] = await moveAliases(tx, model, { [PRODUCTION]: target }, {
        kind: "rollback",
        reason,
        at: this.#now(),
      });
      return change;
    });
  }

  async aliasHistory(model: string, opts: { alias?: string } = {}): Promise<AliasChange[]> {
    await this.getModel(model);
    const rows = await this.#db.query(
      `SELECT * FROM model_alias_history WHERE model = $1 AND ($2::text IS NULL OR alias = $2) ORDER BY id`,
      [model, opts.alias ?? null],
    );
    return rows.map(toChange);
  }

  async listDecisions(
    model: string,
    opts: { limit?: number; version?: number } = {},
  ): Promise<PromotionDecision[]> {
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) {
      throw invalid(`limit must be an integer ≥ 1, got ${limit}`);
    }
    if (opts.version !== undefined) checkVersion(opts.version);
    await this.getModel(model);
    const rows = await this.#db.query(
      `SELECT * FROM promotion_decisions WHERE model = $1 AND ($2::int4 IS NULL OR version = $2)
       ORDER BY id DESC LIMIT ${limit}`,
      [model, opts.version ?? null],
    );
    return rows.map(toDecision);
  }

  async loadArtifact(
    model: string,
    version: number,
  ): Promise<{ version: ModelVersion; bytes: Uint8Array }> {
    const v = await this.getVersion(model, version);
    return { version: v, bytes: await verifyArtifact(this.#objects, v) };
  }

  async #models(where: string, params: unknown[]): Promise<RegisteredModel[]> {
    const rows = await this.#db.query(
      `SELECT m.name, m.created_at, m.last_version,
         COALESCE((SELECT jsonb_object_agg(a.alias, a.version) FROM model_aliases a WHERE a.model = m.name), '{}'::jsonb) AS aliases
       FROM registered_models m ${where} ORDER BY m.name`,
      params,
    );
    return rows.map((r) => ({
      name: r.name as string,
      createdAt: new Date(r.created_at as Date),
      latestVersion: Number(r.last_version),
      aliases: (typeof r.aliases === "string" ? JSON.parse(r.aliases) : r.aliases) as Record<
        string,
        number
      >,
    }));
  }

  #unchanged(model: string, version: number, kind: AliasChangeKind): never {
    throw new ReelrankError(
      "CONFLICT",
      `version ${version} of model "${model}" is already ${PRODUCTION}; nothing to ${kind}`,
    );
  }
}
