/** The migration runner: numbered SQL files applied once each, in order, each in its own transaction. */
import { sha256Hex } from "../digest.ts";
import { ReelrankError } from "../errors.ts";
import { getLogger } from "../log.ts";
import type { Sql } from "./types.ts";

const log = getLogger("db.migrate");
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations shipped with reelrank. */
export const DEFAULT_MIGRATIONS_DIR: URL = new URL("./migrations/", import.meta.url);

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Hex sha256 of the file with line endings normalised to LF. */
  checksum: string;
}

/**
 * Reads `NNNN_name.sql` files from `dir`, sorted by version. Other `.sql` names and duplicate
 * versions are errors; a missing folder means no migrations.
 */
export async function loadMigrations(dir: string | URL): Promise<Migration[]> {
  const out: Migration[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
      const m = FILE.exec(entry.name);
      if (!m) {
        throw new ReelrankError(
          "INVALID_PARAMETER",
          `migration file "${entry.name}" in ${dir} is misnamed; expected NNNN_name.sql (4 digits, lower-case name)`,
        );
      }
      const text = (await Deno.readTextFile(new URL(entry.name, dirUrl(dir)))).replace(
        /\r\n/g,
        "\n",
      );
      out.push({ version: Number(m[1]), name: m[2], sql: text, checksum: await sha256Hex(text) });
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i].version === out[i - 1].version) {
      throw new ReelrankError(
        "INVALID_PARAMETER",
        `two migrations share version ${out[i].version}: ${out[i - 1].name} and ${
          out[i].name
        }; renumber one`,
      );
    }
  }
  return out;
}

function dirUrl(dir: string | URL): URL {
  if (dir instanceof URL) return dir.href.endsWith("/") ? dir : new URL(dir.href + "/");
  const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  return new URL(`file://${abs.endsWith("/") ? abs : abs + "/"}`);
}

/** What `migrate` did. */
export interface MigrateResult {
  applied: { version: number; name: string }[];
  /** Versions that were already recorded. */
  skipped: number;
}

/**
 * Applies every migration in `opts.dir` (default: src/db/migrations) that the current schema has
 * not recorded in `schema_migrations`. Each runs in its own transaction that first takes an
 * advisory lock keyed by the schema, so two processes starting at once against one PostgreSQL
 * apply each file exactly once. A recorded migration whose file changed is a CORRUPT error.
 * `quiet` skips the info line per applied migration (tests apply them in every fresh schema).
 */
export async function migrate(
  db: Sql,
  opts: { dir?: string | URL; quiet?: boolean } = {},
): Promise<MigrateResult> {
  const migrations = await loadMigrations(opts.dir ?? DEFAULT_MIGRATIONS_DIR);
  const result: MigrateResult = { applied: [], skipped: 0 };
  const lockAndRead = async (tx: Sql) => {
    await tx.query(
      "SELECT pg_advisory_xact_lock(hashtext('reelrank.migrate.' || current_schema()))",
    );
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int4 PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations",
    );
    return new Map(rows.map((r) => [r.version, r]));
  };
  // Verify checksums up front so a tampered history fails before anything new is applied.
  const recorded = await db.transaction(lockAndRead);
  for (const m of migrations) {
    const seen = recorded.get(m.version);
    if (seen && seen.checksum !== m.checksum) {
      throw new ReelrankError(
        "CORRUPT",
        `migration ${
          String(m.version).padStart(4, "0")
        }_${m.name}.sql changed after it was applied ` +
          `(recorded sha256 ${seen.checksum.slice(0, 12)}…, file ${m.checksum.slice(0, 12)}…); ` +
          "never edit an applied migration: add a new numbered file instead",
        { permanent: true },
      );
    }
  }
  for (const m of migrations) {
    if (recorded.has(m.version)) {
      result.skipped++;
      continue;
    }
    const applied = await db.transaction(async (tx) => {
      // Another process may have applied it while we waited for the lock.
      if ((await lockAndRead(tx)).has(m.version)) return false;
      await tx.exec(m.sql);
      await tx.query(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        [
          m.version,
          m.name,
          m.checksum,
        ],
      );
      return true;
    });
    if (applied) {
      result.applied.push({ version: m.version, name: m.name });
      if (!opts.quiet) log.info("migration applied", { version: m.version, name: m.name });
    } else {
      result.skipped++;
    }
  }
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...recorded.keys()].filter((v) => !known.has(v));
  if (unknown.length) {
    log.warn("database has migrations this code does not know; is it newer?", {
      versions: unknown,
    });
  }
  return result;
}
