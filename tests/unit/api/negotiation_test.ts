/** Content negotiation of downloads: which Accept-Encoding values take gzip, which If-None-Match values match. */
import assert from "node:assert/strict";
import { acceptsGzip, matches } from "../../../src/api/negotiation.ts";

Deno.test("acceptsGzip() follows gzip's own weight, else the wildcard's, and refuses q=0", () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ["", false],
    ["identity", false],
    ["gzip", true],
    ["GZIP;q=0.5, br", true],
    ["br, deflate", false],
    ["gzip;q=0", false],
    ["*", true],
    ["*;q=0, gzip", true],
    ["gzip;q=0, *", false],
    ["br, *;q=0", false],
  ];
  for (const [header, expected] of cases) assert.equal(acceptsGzip(header), expected, header);
});

Deno.test("matches() compares entity tags weakly: strong, weak, listed or *", () => {
  const sha = "ab".repeat(32);
  assert.equal(matches(undefined, sha), false);
  assert.equal(matches(`"${sha}"`, sha), true);
  assert.equal(matches(`W/"${sha}"`, sha), true);
  assert.equal(matches(`"x", W/"${sha}"`, sha), true);
  assert.equal(matches("*", sha), true);
  assert.equal(matches(`"${sha.slice(1)}"`, sha), false);
  assert.equal(matches(sha, sha), false);
});
