/** Array literals: written as PostgreSQL reads them, and read back to the same values. */
import assert from "node:assert/strict";
import { formatArrayLiteral, parseArrayLiteral } from "../../../src/db/pg_array.ts";
import { dbTest } from "../../helpers/db.ts";

Deno.test("formatArrayLiteral() leaves finite numbers bare and quotes and escapes the rest", () => {
  assert.equal(formatArrayLiteral([1, -2.5, 1e-7]), "{1,-2.5,1e-7}");
  assert.equal(formatArrayLiteral([NaN, null, "NULL"]), '{"NaN",NULL,"NULL"}');
  assert.equal(formatArrayLiteral(['a"b', "c\\d", "e,f{}"]), '{"a\\"b","c\\\\d","e,f{}"}');
  assert.equal(formatArrayLiteral([[1, 2], [3, 4]]), "{{1,2},{3,4}}");
  const strings = ["plain", 'q"uote', "back\\slash", "", "NULL", "{brace}", "comma,"];
  assert.deepEqual(parseArrayLiteral(formatArrayLiteral(strings)), strings);
});

dbTest("PostgreSQL reads the literals back as the same values", async (db) => {
  const ints = [1, -2, 9_007_199_254_740_991];
  const [row] = await db.query<{ a: string; b: string; n: number }>(
    "SELECT $1::int8[]::text AS a, $2::text[]::text AS b, array_length($2::text[], 1) AS n",
    [formatArrayLiteral(ints), formatArrayLiteral(['x"y', "a\\b", "NULL"])],
  );
  assert.equal(row.a, "{1,-2,9007199254740991}");
  assert.deepEqual(parseArrayLiteral(row.b), ['x"y', "a\\b", "NULL"]);
  assert.equal(Number(row.n), 3);
});
