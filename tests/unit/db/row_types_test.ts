/** Both backends return the same JS values for the same SQL. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";

dbTest(
  "query() returns int8 and numeric as numbers, jsonb as objects, timestamptz as Date, bool as boolean",
  async (db) => {
    const [row] = await db.query(
      `SELECT 9007199254740991::int8 AS big, 12.5::numeric AS num, 3::int4 AS i, 0.25::float8 AS f,
            '{"a":[1,"x",null]}'::jsonb AS doc, '2024-05-06T07:08:09.123Z'::timestamptz AS at,
            true AS yes, NULL::text AS nothing, 'é ☃'::text AS txt, '2024-05-06'::date AS day`,
    );
    assert.deepEqual(row, {
      big: 9007199254740991,
      num: 12.5,
      i: 3,
      f: 0.25,
      doc: { a: [1, "x", null] },
      at: new Date("2024-05-06T07:08:09.123Z"),
      yes: true,
      nothing: null,
      txt: "é ☃",
      day: new Date("2024-05-06T00:00:00Z"),
    });
  },
);

dbTest(
  "query() parses arrays with NULLs, quotes and commas the same on both backends",
  async (db) => {
    const [row] = await db.query(
      `SELECT ARRAY['a,b', 'q"u', 'back\\slash', NULL, 'NULL', '{x}']::text[] AS t,
            ARRAY[1, NULL, 3]::int8[] AS i8, ARRAY[1.5, 2]::numeric[] AS n,
            ARRAY['{"k":1}'::jsonb] AS j, ARRAY[true, false] AS b, '{}'::int4[] AS empty,
            ARRAY[[1,2],[3,4]]::int4[] AS nested`,
    );
    assert.deepEqual(row, {
      t: ["a,b", 'q"u', "back\\slash", null, "NULL", "{x}"],
      i8: [1, null, 3],
      n: [1.5, 2],
      j: [{ k: 1 }],
      b: [true, false],
      empty: [],
      nested: [[1, 2], [3, 4]],
    });
  },
);

dbTest(
  "query() binds numbers, strings, Dates, objects, arrays and nulls as parameters",
  async (db) => {
    await db.exec(
      "CREATE TABLE p (a int8, b text, c jsonb, d timestamptz, e bool, g int8[], h text[], j jsonb, n numeric)",
    );
    const at = new Date("2021-02-03T04:05:06.789Z");
    await db.query("INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", [
      42,
      "it's",
      { nested: { list: [1, 2] } },
      at,
      false,
      [1, 2, null],
      ["x,y", null, '"q"'],
      [1, "two"],
      1.125,
    ]);
    await db.query("INSERT INTO p (a, c) VALUES ($1, $2)", [12345678901n, '{"already":"json"}']);
    const rows = await db.query("SELECT * FROM p ORDER BY a");
    assert.deepEqual(rows, [
      {
        a: 42,
        b: "it's",
        c: { nested: { list: [1, 2] } },
        d: at,
        e: false,
        g: [1, 2, null],
        h: ["x,y", null, '"q"'],
        j: [1, "two"],
        n: 1.125,
      },
      {
        a: 12345678901,
        b: null,
        c: { already: "json" },
        d: null,
        e: null,
        g: null,
        h: null,
        j: null,
        n: null,
      },
    ]);
    const found = await db.query<{ a: number }>("SELECT a FROM p WHERE a = ANY($1::int8[])", [[
      42,
      7,
    ]]);
    assert.deepEqual(found, [{ a: 42 }]);
  },
);

dbTest("transaction() commits on success and rolls back when the function throws", async (db) => {
  await db.exec("CREATE TABLE tx (v int4)");
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO tx VALUES ($1)", [1]);
    await tx.transaction((inner) => inner.query("INSERT INTO tx VALUES ($1)", [2]));
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO tx VALUES ($1)", [3]);
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.deepEqual(await db.query("SELECT v FROM tx ORDER BY v"), [{ v: 1 }, { v: 2 }]);
});

dbTest(
  "exec() runs a multi-statement script and query() returns [] for statements without rows",
  async (db) => {
    await db.exec("CREATE TABLE s (v int4); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);");
    assert.deepEqual(await db.query("UPDATE s SET v = v + 1"), []);
    assert.deepEqual(await db.query("SELECT sum(v)::int8 AS total FROM s"), [{ total: 5 }]);
  },
);
