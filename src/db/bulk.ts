/** Bulk insert: many rows per statement through `unnest` of typed arrays, the same SQL on both backends. */
import { internal } from "../errors.ts";
import { formatArrayLiteral, formatElement } from "./pg_array.ts";
import type { Sql } from "./types.ts";

const IDENT = /^[a-z_][a-z0-9_]*$/;
const TYPE = /^[a-z][a-z0-9_ ]*(\(\d+(,\s*\d+)?\))?$/;

/** Options of {@linkcode insertRows}. */
export interface InsertRowsOptions {
  /** Column name → PostgreSQL type (`int8`, `text`, `jsonb`, `timestamptz`, …), in insert order. */
  columns: Record<string, string>;
  /** Objects keyed by column name, or arrays in `columns` order. Missing/undefined values are NULL. */
  rows: readonly (Record<string, unknown> | readonly unknown[])[];
  /**
   * What to do when a row hits a unique key: `target` names the key's columns; without `update`
   * the row is skipped (DO NOTHING), with `update` those columns (or `"all"` non-key columns) are
   * overwritten. With `update`, rows repeating a key within one call keep the last one.
   */
  onConflict?: { target: readonly string[]; update?: readonly string[] | "all" };
  /** Rows per statement; default 5000. */
  chunkSize?: number;
}

function ident(name: string, what: string): string {
  if (!IDENT.test(name)) {
    throw internal(`${what} "${name}" is not a plain lower-case SQL identifier`);
  }
  return `"${name}"`;
}

function tableName(name: string): string {
  return name.split(".").map((part) => ident(part, "table name")).join(".");
}

/**
 * Inserts `opts.rows` into `table` in chunks of `INSERT … SELECT … FROM unnest($1::int8[], …)`,
 * one statement per chunk (wrap the call in `sql.transaction` for all-or-nothing). Each column
 * travels as one array literal, so a chunk costs one round trip whatever its size.
 * Returns how many rows were inserted or updated (rows skipped by DO NOTHING are not counted).
 *
 * ```ts
 * const n = await insertRows(db, "movies", {
 *   columns: { movie_id: "int8", title: "text", genres: "text[]" },
 *   rows: [{ movie_id: 1, title: "Toy Story (1995)", genres: ["Animation"] }],
 *   onConflict: { target: ["movie_id"], update: "all" },
 * });
 * ```
 */
export function insertRows(
  sql: Sql,
  table: string,
  opts: InsertRowsOptions,
): Promise<number> {
  return insert(sql, table, opts, true);
}

/**
 * {@linkcode insertRows} without counting what was written (no `RETURNING` and count): for hot
 * appends (impressions), where the count is not needed and costs the database a sixth of the insert.
 */
export async function appendRows(
  sql: Sql,
  table: string,
  opts: InsertRowsOptions,
): Promise<void> {
  await insert(sql, table, opts, false);
}

async function insert(
  sql: Sql,
  table: string,
  opts: InsertRowsOptions,
  count: boolean,
): Promise<number> {
  const names = Object.keys(opts.columns);
  if (names.length === 0) throw internal(`insertRows(${table}) needs at least one column`);
  const cols = names.map((n) => ident(n, "column name"));
  const types = names.map((n) => {
    const type = opts.columns[n].trim().toLowerCase();
    if (!TYPE.test(type.replace(/\[\]$/, ""))) {
      throw internal(`column type "${type}" for ${n} is not a SQL type name`);
    }
    return type;
  });
  // unnest flattens multi-dimensional arrays, so an array column travels as text[] of literals
  // and is cast back per row.
  const params = types.map((t, i) => `$${i + 1}::text::${t.endsWith("[]") ? "text" : t}[]`);
  const select = types.map((t, i) => (t.endsWith("[]") ? `u.c${i}::${t}` : `u.c${i}`));
  const alias = types.map((_, i) => `c${i}`).join(", ");
  let conflict = "";
  if (opts.onConflict) {
    const target = opts.onConflict.target.map((c) => ident(c, "conflict column"));
    const upd = opts.onConflict.update === "all"
      ? names.filter((n) => !opts.onConflict!.target.includes(n))
      : opts.onConflict.update ?? [];
    conflict = ` ON CONFLICT (${target.join(", ")}) ` +
      (upd.length
        ? "DO UPDATE SET " +
          upd.map((c) => `${ident(c, "update column")} = EXCLUDED.${ident(c, "update column")}`)
            .join(", ")
        : "DO NOTHING");
  }
  const insertText = `INSERT INTO ${tableName(table)} (${cols.join(", ")}) ` +
    `SELECT ${select.join(", ")} FROM unnest(${params.join(", ")}) AS u(${alias})${conflict}`;
  const text = count
    ? `WITH ins AS (${insertText} RETURNING 1) SELECT count(*)::int8 AS n FROM ins`
    : insertText;

  let rows: readonly (readonly unknown[])[] = opts.rows.map((
    r,
  ) => (Array.isArray(r) ? r : names.map((n) => (r as Record<string, unknown>)[n])));
  if (opts.onConflict?.update && opts.onConflict.update.length) {
    // DO UPDATE may not touch one row twice in a statement: keep the last row per key.
    const keyIdx = opts.onConflict.target.map((c) => names.indexOf(c));
    const byKey = new Map<string, readonly unknown[]>();
    for (const r of rows) byKey.set(JSON.stringify(keyIdx.map((i) => r[i])), r);
    rows = [...byKey.values()];
  }
  const size = Math.max(1, opts.chunkSize ?? 5000);
  let total = 0;
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    const values = names.map((_, c) =>
      formatArrayLiteral(chunk.map((r) => {
        const v = r[c];
        // Pre-format so a JS array bound for a jsonb column becomes JSON, not a nested literal.
        return types[c].endsWith("[]") && Array.isArray(v)
          ? formatArrayLiteral(v)
          : formatElement(v);
      }))
    );
    if (count) total += (await sql.query<{ n: number }>(text, values))[0].n;
    else await sql.query(text, values);
  }
  return total;
}
