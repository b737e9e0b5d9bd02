/** insertRows(): chunked unnest inserts with upserts, identical on both backends. */
import assert from "node:assert/strict";
import { appendRows, insertRows } from "../../../src/db/bulk.ts";
import { dbTest } from "../../helpers/db.ts";

const TABLE = `CREATE TABLE items (
  id int8 PRIMARY KEY, title text, score numeric, meta jsonb, seen_at timestamptz, ok bool, tags text[]
)`;
const COLUMNS = {
  id: "int8",
  title: "text",
  score: "numeric",
  meta: "jsonb",
  seen_at: "timestamptz",
  ok: "bool",
  tags: "text[]",
};

dbTest(
  "insertRows() stores awkward values exactly across chunks, reading a string for jsonb as JSON text",
  async (db) => {
    await db.exec(TABLE);
    const at = new Date("2020-01-02T03:04:05.678Z");
    const rows = [
      {
        id: 1,
        title: 'a,b "quoted" \\ {brace}',
        score: 1.5,
        meta: { k: [1, null] },
        seen_at: at,
        ok: true,
        tags: ["x,y", null, "NULL"],
      },
      { id: 2, title: null, score: null, meta: null, seen_at: null, ok: false, tags: [] },
      {
        id: 3,
        title: "NULL",
        score: 0,
        meta: '{"already":"json text"}',
        seen_at: at,
        ok: null,
        tags: null,
      },
      {
        id: 4,
        title: "é ☃\nnew line\ttab",
        score: -2.25,
        meta: [1, 2],
        seen_at: at,
        ok: true,
        tags: ["é"],
      },
    ];
    const n = await insertRows(db, "items", { columns: COLUMNS, rows, chunkSize: 3 });
    assert.equal(n, 4);
    const back = await db.query("SELECT * FROM items ORDER BY id");
    assert.deepEqual(
      back,
      rows.map((r) => (r.id === 3 ? { ...r, meta: { already: "json text" } } : r)),
    );
  },
);

dbTest("insertRows() skips existing keys with DO NOTHING and counts only new rows", async (db) => {
  await db.exec(TABLE);
  const columns = { id: "int8", title: "text" };
  await insertRows(db, "items", { columns, rows: [[1, "one"], [2, "two"]] });
  const n = await insertRows(db, "items", {
    columns,
    rows: [[2, "TWO"], [3, "three"], [3, "again"]],
    onConflict: { target: ["id"] },
  });
  assert.equal(n, 1);
  assert.deepEqual(await db.query("SELECT id, title FROM items ORDER BY id"), [
    { id: 1, title: "one" },
    { id: 2, title: "two" },
    { id: 3, title: "three" },
  ]);
});

dbTest(
  "insertRows() upserts with DO UPDATE, keeping the last row when a key repeats",
  async (db) => {
    await db.exec(TABLE);
    const columns = { id: "int8", title: "text", score: "numeric" };
    await insertRows(db, "items", { columns, rows: [{ id: 1, title: "old", score: 1 }] });
    const n = await insertRows(db, "items", {
      columns,
      rows: [{ id: 1, title: "new", score: 2 }, { id: 5, title: "five", score: 5 }, {
        id: 5,
        title: "five!",
        score: 6,
      }],
      onConflict: { target: ["id"], update: "all" },
    });
    assert.equal(n, 2);
    assert.deepEqual(await db.query("SELECT id, title, score FROM items ORDER BY id"), [
      { id: 1, title: "new", score: 2 },
      { id: 5, title: "five!", score: 6 },
    ]);
  },
);

dbTest(
  "appendRows() writes like insertRows(), DO NOTHING included, in chunks, without a count",
  async (db) => {
    await db.exec(TABLE);
    const columns = { id: "int8", title: "text" };
    await appendRows(db, "items", { columns, rows: [[1, "one"], [2, "two"]] });
    const none = await appendRows(db, "items", {
      columns,
      rows: [[2, "TWO"], [3, "three"], [4, "four"]],
      onConflict: { target: ["id"] },
      chunkSize: 2,
    });
    assert.equal(none, undefined);
    assert.deepEqual(await db.query("SELECT id, title FROM items ORDER BY id"), [
      { id: 1, title: "one" },
      { id: 2, title: "two" },
      { id: 3, title: "three" },
      { id: 4, title: "four" },
    ]);
  },
);

dbTest("insertRows() rejects identifiers that are not plain SQL names", async (db) => {
  await assert.rejects(
    insertRows(db, "items; DROP TABLE x", { columns: { id: "int8" }, rows: [[1]] }),
    /table name "items; DROP TABLE x" is not a plain lower-case SQL identifier/,
  );
  await assert.rejects(
    insertRows(db, "items", { columns: { 'id"': "int8" }, rows: [[1]] }),
    /column name/,
  );
});

dbTest("insertRows() inside a transaction is rolled back with it", async (db) => {
  await db.exec(TABLE);
  await assert.rejects(
    db.transaction(async (tx) => {
      await insertRows(tx, "items", { columns: { id: "int8" }, rows: [[1], [2]] });
      throw new Error("abort");
    }),
    /abort/,
  );
  assert.deepEqual(await db.query("SELECT count(*) AS n FROM items"), [{ n: 0 }]);
});
