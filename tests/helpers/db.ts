/** Database test helper: runs a test on PGlite and, when DATABASE_URL is set, on PostgreSQL, each in a fresh schema. */
import type { PGlite } from "@electric-sql/pglite";
import { loadConfig } from "../../src/config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import { startPglite, wrapPglite } from "../../src/db/pglite.ts";
import type { Database } from "../../src/db/types.ts";

/** The backends a test can run on. */
export type Backend = "pglite" | "postgres";

/** Options of {@linkcode dbTest} and {@linkcode withDatabase}. */
export interface DbTestOptions {
  /** Migrations to apply; default src/db/migrations. */
  migrationsDir?: string | URL;
  /** Apply migrations (default true); false gives an empty schema. */
  migrate?: boolean;
  /** Passed to Deno.test. */
  ignore?: boolean;
  only?: boolean;
}

const databaseUrl = loadConfig().databaseUrl;

/** The backends available here: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function backends(): Backend[] {
  return databaseUrl ? ["pglite", "postgres"] : ["pglite"];
}

// One PGlite per test module: a fresh schema costs milliseconds. Starting PGlite runs initdb
// (~2-4 s), so the first module to start one saves a dump of the fresh instance and later modules
// start from it (~0.5 s): the same freshly initialised cluster, without initdb each time.
let shared: Promise<PGlite> | undefined;

/** Where the dump of a fresh PGlite is kept, keyed by the PGlite package it came from. */
function pristineDumpPath(): string {
  const pkg = import.meta.resolve("@electric-sql/pglite");
  let h = 0;
  for (const c of pkg) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  const version = pkg.match(/pglite[@/](\d[\w.-]*)/)?.[1] ?? "unknown";
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  return `${tmp}/reelrank-tests/pglite-${version}-${h.toString(16)}.tar`;
}

/**
 * A new in-memory PGlite for tests (the module's shared one, or a second database a test needs),
 * started from the dump of a fresh instance. Commits do not wait for their WAL record to be
 * flushed (`synchronous_commit`): the instance lives in memory and dies with the test module, so
 * this changes no result, and it halves the time of the DDL every test's fresh schema starts with.
 */
export async function startTestPglite(): Promise<PGlite> {
  const pg = await startFromDump();
  await pg.exec("SET synchronous_commit TO off");
  return pg;
}

async function startFromDump(): Promise<PGlite> {
  const path = pristineDumpPath();
  let dump: Uint8Array<ArrayBuffer> | undefined;
  try {
    dump = await Deno.readFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (dump) {
    try {
      return await startPglite(undefined, { loadDataDir: new Blob([dump]) });
    } catch {
      // A damaged dump: start from initdb below and write it again.
    }
  }
  const pg = await startPglite();
  const fresh = new Uint8Array(await (await pg.dumpDataDir("none")).arrayBuffer());
  const dir = path.slice(0, path.lastIndexOf("/"));
  let tmp: string | undefined;
  try {
    await Deno.mkdir(dir, { recursive: true });
    // Written aside and renamed: a module reading the dump never sees half of it.
    tmp = await Deno.makeTempFile({ dir, suffix: ".part" });
    await Deno.writeFile(tmp, fresh);
    await Deno.rename(tmp, path);
  } catch {
    // Nowhere to keep it (a read-only TMPDIR): every module then runs initdb, as before.
    if (tmp) await Deno.remove(tmp).catch(() => {});
  }
  return pg;
}

function freshSchema(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return "t_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs `fn` with a database on `backend`, in a new schema that is dropped afterwards (also when
 * `fn` throws), with migrations applied. PGlite uses one shared in-memory instance per module.
 */
export async function withDatabase<T>(
  backend: Backend,
  fn: (db: Database) => Promise<T>,
  opts: DbTestOptions = {},
): Promise<T> {
  const schema = freshSchema();
  let db: Database;
  if (backend === "postgres") {
    if (!databaseUrl) throw new Error("withDatabase('postgres') needs DATABASE_URL");
    db = await openPostgres(databaseUrl, { schema, max: 4 });
  } else {
    shared ??= startTestPglite();
    const pg = await shared;
    await pg.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
    db = wrapPglite(pg, { onClose: async () => {} });
  }
  try {
    if (opts.migrate ?? true) await migrate(db, { dir: opts.migrationsDir, quiet: true });
    return await fn(db);
  } finally {
    try {
      await db.exec(`DROP SCHEMA ${schema} CASCADE; SET search_path TO public`);
    } finally {
      await db.close();
    }
  }
}

/**
 * Registers one `Deno.test` per available backend, named `"<name> [pglite]"` / `"<name> [postgres]"`.
 *
 * ```ts
 * dbTest("upsertMovies() keeps one row per TMDB id", async (db) => {
 *   await db.query("INSERT INTO movies ...", [...]);
 *   assert.equal((await db.query("SELECT count(*) AS n FROM movies"))[0].n, 1);
 * });
 * ```
 */
export function dbTest(
  name: string,
  fn: (db: Database) => Promise<void>,
  opts: DbTestOptions = {},
): void {
  for (const backend of backends()) {
    Deno.test({
      name: `${name} [${backend}]`,
      ignore: opts.ignore,
      only: opts.only,
      fn: () => withDatabase(backend, fn, opts),
    });
  }
}
