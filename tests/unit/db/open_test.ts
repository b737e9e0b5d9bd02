/** openDatabase(): backend choice, persistence, the PGlite folder lock and migrations at open. */
import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { loadConfig } from "../../../src/config.ts";
import { UNREACHABLE_DB_PASSWORD } from "../../helpers/secrets.ts";

const databaseUrl = loadConfig().databaseUrl;

async function tempMigrations(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-migrations-" });
  await Deno.writeTextFile(
    `${dir}/0001_notes.sql`,
    "CREATE TABLE notes (id int8 PRIMARY KEY, body text);",
  );
  return dir;
}

Deno.test("openDatabase() without DATABASE_URL keeps PGlite data in the data folder and locks it while open", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "reelrank-data-" });
  const migrationsDir = await tempMigrations();
  try {
    const db = await openDatabase({ dataDir }, { migrationsDir });
    assert.equal(db.kind, "pglite");
    await db.query("INSERT INTO notes VALUES ($1, $2)", [1, "kept"]);
    await assert.rejects(openDatabase({ dataDir }, { migrationsDir }), (err: unknown) => {
      assert.ok(err instanceof ReelrankError);
      assert.equal(err.code, "CONFLICT");
      assert.match(
        err.message,
        new RegExp(`PGlite database in .* is in use by process ${Deno.pid}`),
      );
      return true;
    });
    await db.close();

    const reopened = await openDatabase({ dataDir }, { migrationsDir });
    try {
      assert.deepEqual(await reopened.query("SELECT id, body FROM notes"), [{
        id: 1,
        body: "kept",
      }]);
      assert.deepEqual(await reopened.query("SELECT version FROM schema_migrations"), [{
        version: 1,
      }]);
    } finally {
      await reopened.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(migrationsDir, { recursive: true });
  }
});

Deno.test("openDatabase() rejects a schema name that is not a plain identifier", async () => {
  await assert.rejects(
    openDatabase({ dataDir: "/nonexistent" }, { schema: 'x"; DROP' }),
    /schema name "x"; DROP" is not allowed/,
  );
});

Deno.test({
  name: "openDatabase() with DATABASE_URL uses PostgreSQL in the requested schema" +
    (databaseUrl ? "" : " (skipped: DATABASE_URL is not set, so there is no PostgreSQL to use)"),
  ignore: !databaseUrl,
  async fn() {
    const schema = `t_open_${crypto.randomUUID().slice(0, 8)}`;
    const migrationsDir = await tempMigrations();
    const db = await openDatabase({ dataDir: "/nonexistent", databaseUrl }, {
      schema,
      migrationsDir,
    });
    try {
      assert.equal(db.kind, "postgres");
      assert.deepEqual(
        await db.query("SELECT current_schema() AS s, to_regclass('notes') IS NOT NULL AS t"),
        [
          { s: schema, t: true },
        ],
      );
    } finally {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
      await Deno.remove(migrationsDir, { recursive: true });
    }
  },
});

Deno.test("openDatabase() reports an unreachable PostgreSQL as UNAVAILABLE without the password", async () => {
  const err = await openDatabase(
    {
      dataDir: "/nonexistent",
      databaseUrl: `postgres://reelrank:${UNREACHABLE_DB_PASSWORD}@127.0.0.1:1/none`,
    },
    { migrate: false },
  ).then(() => null, (e) => e);
  assert.ok(err instanceof ReelrankError);
  assert.equal(err.code, "UNAVAILABLE");
  assert.match(err.message, /cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
  assert.ok(!err.message.includes(UNREACHABLE_DB_PASSWORD), err.message);
});
