/** The one place that picks the database: PostgreSQL when DATABASE_URL is set, PGlite otherwise. */
import type { Config } from "../config.ts";
import { invalid } from "../errors.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Database } from "./types.ts";

/** Options of {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /** Schema to use (created when missing); default: `public`. Tests use one fresh schema each. */
  schema?: string;
  /** Apply pending migrations at open; default true. */
  migrate?: boolean;
  /** Folder of `NNNN_name.sql` files; default src/db/migrations. */
  migrationsDir?: string | URL;
  /** PGlite only: keep the database in memory instead of `${dataDir}/pgdata` (tests). */
  inMemory?: boolean;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the database: `config.databaseUrl` set → PostgreSQL (a pool), unset → PGlite in
 * `${config.dataDir}/pgdata`, locked against other processes (CONFLICT if one holds it).
 * Pending migrations are applied before it returns unless `migrate: false`.
 *
 * ```ts
 * const db = await openDatabase(loadConfig());
 * const rows = await db.query<{ n: number }>("SELECT count(*) AS n FROM movies WHERE adult = $1", [false]);
 * await db.close();
 * ```
 */
export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir">,
  opts: OpenDatabaseOptions = {},
): Promise<Database> {
  if (opts.schema !== undefined && !SCHEMA.test(opts.schema)) {
    throw invalid(
      `schema name "${opts.schema}" is not allowed; expected lower-case letters, digits and _`,
    );
  }
  const db = config.databaseUrl
    ? await openPostgres(config.databaseUrl, { schema: opts.schema })
    : await openPglite({
      dataDir: opts.inMemory ? undefined : config.dataDir,
      schema: opts.schema,
    });
  if (opts.migrate ?? true) {
    try {
      await migrate(db, { dir: opts.migrationsDir });
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
