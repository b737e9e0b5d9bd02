/** Alias moves and the model row lock, used inside the registry's transactions. */
import { invalid, notFound } from "../errors.ts";
import type { Sql } from "../db/types.ts";
import { toChange, toVersion } from "./rows.ts";
import {
  ALIAS_CHANNEL,
  type AliasChange,
  type AliasChangeKind,
  type ModelVersion,
} from "./store.ts";

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ALIAS = /^[a-z][a-z0-9_-]{0,63}$/;

/** Throws INVALID_PARAMETER unless `model` is a valid model name. */
export function checkModel(model: string): void {
  if (typeof model !== "string" || !MODEL_NAME.test(model)) {
    throw invalid(
      `model name must be letters, digits, ".", "_" or "-" (at most 128), got ${
        JSON.stringify(model)
      }`,
    );
  }
}

/** The largest version number (the column is a PostgreSQL integer). */
const MAX_VERSION = 2_147_483_647;

/** Throws INVALID_PARAMETER unless `version` is an integer from 1 to 2,147,483,647. */
export function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw invalid(
      `model version must be an integer from 1 to ${MAX_VERSION}, got ${JSON.stringify(version)}`,
    );
  }
}

/** Locks the model row: alias moves and gate decisions of one model happen one at a time. */
export async function lockModel(tx: Sql, model: string): Promise<void> {
  checkModel(model);
  const rows = await tx.query(`SELECT 1 FROM registered_models WHERE name = $1 FOR UPDATE`, [
    model,
  ]);
  if (rows.length === 0) {
    throw notFound(
      `model "${model}" is not registered; register a version first (deno task train)`,
    );
  }
}

export async function versionIn(tx: Sql, model: string, version: number): Promise<ModelVersion> {
  const rows = await tx.query(`SELECT * FROM model_versions WHERE model = $1 AND version = $2`, [
    model,
    version,
  ]);
  if (rows.length === 0) {
    const [m] = await tx.query(`SELECT last_version FROM registered_models WHERE name = $1`, [
      model,
    ]);
    const last = Number(m?.last_version ?? 0);
    throw notFound(
      `model "${model}" has no version ${version}; ${
        last ? `versions are 1..${last}` : "it has no versions"
      }`,
    );
  }
  return toVersion(rows[0], []);
}

/** Applies alias moves inside the caller's transaction (model row already locked by `lockModel`). */
export async function moveAliases(
  tx: Sql,
  model: string,
  moves: Record<string, number | null>,
  opts: { kind: AliasChangeKind; reason: string; at: Date },
): Promise<AliasChange[]> {
  const { kind, reason } = opts;
  const changes: AliasChange[] = [];
  const at = opts.at.toISOString();
  for (const [alias, to] of Object.entries(moves)) {
    if (!ALIAS.test(alias)) {
      throw invalid(`alias must be lowercase letters, digits, "_" or "-", got "${alias}"`);
    }
    if (to !== null) {
      checkVersion(to);
      await versionIn(tx, model, to);
    }
    const cur = await tx.query(
      `SELECT version FROM model_aliases WHERE model = $1 AND alias = $2`,
      [model, alias],
    );
    const from = cur.length ? Number(cur[0].version) : null;
    if (from === to) continue;
    if (to === null) {
      await tx.query(`DELETE FROM model_aliases WHERE model = $1 AND alias = $2`, [model, alias]);
    } else {
      await tx.query(
        `INSERT INTO model_aliases (model, alias, version, updated_at) VALUES ($1, $2, $3, $4::timestamptz)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
        [model, alias, to, at],
      );
    }
    const [row] = await tx.query(
      `INSERT INTO model_alias_history (model, alias, from_version, to_version, kind, reason, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz) RETURNING *`,
      [model, alias, from, to, kind, reason, at],
    );
    changes.push(toChange(row));
  }
  // Sent on commit only, so listeners never see a move that was rolled back.
  if (changes.length) await tx.query("SELECT pg_notify($1, $2)", [ALIAS_CHANNEL, model]);
  return changes;
}
