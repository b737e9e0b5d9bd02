/** The migration runner: order, once-only, checksums, failures and concurrent starts. */
import assert from "node:assert/strict";
import { loadMigrations, migrate } from "../../../src/db/migrate.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { dbTest } from "../../helpers/db.ts";

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-migrations-" });
  for (const [name, sql] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, sql);
  return dir;
}

const FILES = {
  "0001_first.sql": "CREATE TABLE a (id int4 PRIMARY KEY);",
  "0002_second.sql": "ALTER TABLE a ADD COLUMN name text;\nINSERT INTO a VALUES (1, 'x');",
  "README.md": "not a migration",
};

dbTest(
  "migrate() applies numbered files in order, records them, and never applies one twice",
  async (db) => {
    const dir = await migrationsDir(FILES);
    try {
      const first = await migrate(db, { dir, quiet: true });
      assert.deepEqual(first.applied, [{ version: 1, name: "first" }, {
        version: 2,
        name: "second",
      }]);
      const again = await migrate(db, { dir, quiet: true });
      assert.deepEqual(again, { applied: [], skipped: 2 });
      assert.deepEqual(await db.query("SELECT id, name FROM a"), [{ id: 1, name: "x" }]);
      const recorded = await db.query<{ version: number; applied_at: Date; checksum: string }>(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
      );
      assert.deepEqual(recorded.map((r) => r.version), [1, 2]);
      assert.ok(recorded[0].applied_at instanceof Date);
      assert.match(recorded[0].checksum, /^[0-9a-f]{64}$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { migrate: false },
);

dbTest("migrate() applies only the new file when one is added later", async (db) => {
  const dir = await migrationsDir({ "0001_first.sql": FILES["0001_first.sql"] });
  try {
    await migrate(db, { dir, quiet: true });
    await Deno.writeTextFile(`${dir}/0002_second.sql`, FILES["0002_second.sql"]);
    const r = await migrate(db, { dir, quiet: true });
    assert.deepEqual(r, { applied: [{ version: 2, name: "second" }], skipped: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}, { migrate: false });

dbTest("migrate() refuses to run when an applied migration file was edited", async (db) => {
  const dir = await migrationsDir(FILES);
  try {
    await migrate(db, { dir, quiet: true });
    await Deno.writeTextFile(`${dir}/0001_first.sql`, "CREATE TABLE a (id int8 PRIMARY KEY);");
    await Deno.writeTextFile(`${dir}/0003_third.sql`, "CREATE TABLE c (id int4);");
    await assert.rejects(migrate(db, { dir, quiet: true }), (err: unknown) => {
      assert.ok(err instanceof ReelrankError);
      assert.equal(err.code, "CORRUPT");
      assert.match(err.message, /0001_first\.sql changed after it was applied/);
      return true;
    });
    assert.deepEqual(await db.query("SELECT to_regclass('c') AS c"), [{ c: null }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}, { migrate: false });

dbTest("migrate() ignores CRLF versus LF when comparing checksums", async (db) => {
  const dir = await migrationsDir({
    "0001_first.sql": "CREATE TABLE a (id int4);\nCREATE TABLE b (id int4);\n",
  });
  try {
    await migrate(db, { dir, quiet: true });
    await Deno.writeTextFile(
      `${dir}/0001_first.sql`,
      "CREATE TABLE a (id int4);\r\nCREATE TABLE b (id int4);\r\n",
    );
    assert.deepEqual(await migrate(db, { dir, quiet: true }), { applied: [], skipped: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}, { migrate: false });

dbTest(
  "migrate() rolls back a failing migration entirely and keeps the earlier ones",
  async (db) => {
    const dir = await migrationsDir({
      "0001_first.sql": FILES["0001_first.sql"],
      "0002_broken.sql": "CREATE TABLE half (id int4);\nSELECT * FROM no_such_table;",
    });
    try {
      await assert.rejects(migrate(db, { dir, quiet: true }), /no_such_table/);
      assert.deepEqual(await db.query("SELECT version FROM schema_migrations"), [{ version: 1 }]);
      assert.deepEqual(await db.query("SELECT to_regclass('half') AS t"), [{ t: null }]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { migrate: false },
);

dbTest("migrate() run twice at the same time applies each file exactly once", async (db) => {
  const dir = await migrationsDir({
    "0001_first.sql": FILES["0001_first.sql"],
    "0002_counter.sql": "CREATE TABLE runs (n int4); INSERT INTO runs VALUES (1);",
  });
  try {
    const [a, b] = await Promise.all([
      migrate(db, { dir, quiet: true }),
      migrate(db, { dir, quiet: true }),
    ]);
    assert.equal(a.applied.length + b.applied.length, 2);
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM runs"), [{ n: 1 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}, { migrate: false });

Deno.test("loadMigrations() rejects misnamed files and duplicate versions", async () => {
  const bad = await migrationsDir({ "1_first.sql": "SELECT 1;" });
  const dup = await migrationsDir({ "0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;" });
  try {
    await assert.rejects(loadMigrations(bad), /"1_first\.sql" .* expected NNNN_name\.sql/);
    await assert.rejects(loadMigrations(dup), /two migrations share version 1: a and b/);
    assert.deepEqual(await loadMigrations(`${bad}/missing`), []);
  } finally {
    await Deno.remove(bad, { recursive: true });
    await Deno.remove(dup, { recursive: true });
  }
});
