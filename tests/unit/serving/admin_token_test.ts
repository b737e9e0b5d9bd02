/** The admin token: the environment's, else generated once into the data folder with mode 0600. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config.ts";
import { tokenMatches } from "../../../src/api/middleware/admin_auth.ts";
import { ensureAdminToken } from "../../../src/serving/admin_token.ts";
import { CONFIG_ADMIN_TOKEN, ENV_ADMIN_TOKEN } from "../../helpers/secrets.ts";

Deno.test("ensureAdminToken() generates a token once, owner-only, and reuses it afterwards", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const first = await ensureAdminToken({ dataDir });
    assert.equal(first.source, "generated");
    assert.ok(first.token.length >= 40);
    assert.equal((await Deno.stat(first.path!)).mode! & 0o777, 0o600);
    const second = await ensureAdminToken({ dataDir });
    assert.deepEqual([second.source, second.token], ["file", first.token]);
    const env = await ensureAdminToken({ dataDir, adminToken: ENV_ADMIN_TOKEN });
    assert.deepEqual([env.source, env.token], ["environment", ENV_ADMIN_TOKEN]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("servers starting together on one data folder all get the one stored token", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const got = await Promise.all(Array.from({ length: 8 }, () => ensureAdminToken({ dataDir })));
    const stored = (await Deno.readTextFile(`${dataDir}/admin_token`)).trim();
    assert.ok(got.every((g) => g.token === stored), "every caller checks the stored token");
    assert.equal(got.filter((g) => g.source === "generated").length, 1, "one generated it");
    // Nothing left beside it.
    const names = [];
    for await (const e of Deno.readDir(dataDir)) names.push(e.name);
    assert.deepEqual(names, ["admin_token"]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("REELRANK_ADMIN_TOKEN must be long enough and is scrubbed from logs", () => {
  assert.throws(() => loadConfig({ REELRANK_ADMIN_TOKEN: "short" }), /REELRANK_ADMIN_TOKEN.*16/);
  const config = loadConfig({ REELRANK_ADMIN_TOKEN: CONFIG_ADMIN_TOKEN });
  assert.equal(config.adminToken, CONFIG_ADMIN_TOKEN);
  assert.ok(config.secrets.includes(CONFIG_ADMIN_TOKEN));
});

Deno.test("tokenMatches() accepts only the exact token, whatever the lengths", () => {
  assert.equal(tokenMatches("abcdefghijklmnop", "abcdefghijklmnop"), true);
  assert.equal(tokenMatches("abcdefghijklmnoq", "abcdefghijklmnop"), false);
  assert.equal(tokenMatches("abc", "abcdefghijklmnop"), false);
  assert.equal(tokenMatches("", "abcdefghijklmnop"), false);
});
