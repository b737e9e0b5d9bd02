/** Page tokens are opaque, round-trip their cursor and are bound to one query. */
import assert from "node:assert/strict";
import { decodePageToken, encodePageToken } from "../../../src/tracking/page_token.ts";

Deno.test("a page token round-trips its cursor for the same query and is URL-safe", () => {
  const q = { filter: { experiment: "é" }, limit: 5 };
  const token = encodePageToken({ value: "2026-01-01 00:00:00+00", id: "r1" }, q);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodePageToken(token, q), { value: "2026-01-01 00:00:00+00", id: "r1" });
  assert.deepEqual(decodePageToken(encodePageToken({ value: null, id: "x" }, q), q), {
    value: null,
    id: "x",
  });
});

Deno.test("a page token is refused for another query or when it is not a token", () => {
  const token = encodePageToken({ value: "1", id: "r1" }, { limit: 5 });
  assert.throws(() => decodePageToken(token, { limit: 6 }), /another filter or order/);
  assert.throws(
    () => decodePageToken("%%%", { limit: 5 }),
    /not a token returned by a previous search/,
  );
  assert.throws(() => decodePageToken(btoa("[1,2]"), { limit: 5 }), /not a token/);
});
