/** CORS: closed by default; a public allow-list opens the public API only; the admin token needs an origin of its own list. */
import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config.ts";
import { dbTest } from "../helpers/db.ts";
import { ADMIN_TOKEN, type Fixture, withFixture } from "../helpers/serving.ts";

const SITE = "https://films.example.org";
const ADMIN_SITE = "https://ops.example.org";
const EVIL = "https://evil.example.com";

function appWith(f: Fixture, http: Parameters<typeof createApp>[0]["http"]) {
  return createApp({
    db: f.ctx.db,
    registry: f.ctx.registry,
    tracking: f.ctx.tracking,
    serving: f.serving,
    metrics: f.metrics,
    adminToken: ADMIN_TOKEN,
    clock: f.clock.now,
    http,
  });
}

const preflight = (origin: string, method: string, headers: string) => ({
  method: "OPTIONS",
  headers: {
    origin,
    "access-control-request-method": method,
    "access-control-request-headers": headers,
  },
});

dbTest(
  "with no configuration no other origin may read any answer or send the admin token",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const get = await app.request("/api/v1/movies?limit=1", { headers: { origin: SITE } });
      assert.equal(get.status, 200);
      assert.equal(get.headers.get("access-control-allow-origin"), null);
      const pre = await app.request(
        "/api/v1/models/rollback",
        preflight(SITE, "POST", "authorization,content-type"),
      );
      assert.equal(pre.headers.get("access-control-allow-origin"), null);
    }, { train: false });
  },
);

dbTest(
  "a public allow-list lets its origins call the public API, but not send the admin token",
  async (db) => {
    await withFixture(db, async (f) => {
      const app = appWith(f, { corsOrigins: [SITE] });
      const get = await app.request("/api/v1/movies?limit=1", { headers: { origin: SITE } });
      assert.equal(get.headers.get("access-control-allow-origin"), SITE);
      assert.match(get.headers.get("vary") ?? "", /Origin/i);
      const other = await app.request("/api/v1/movies?limit=1", { headers: { origin: EVIL } });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      // A visitor's recommendations: a JSON POST, preflighted for content-type only.
      const pre = await app.request(
        "/api/v1/recommendations",
        preflight(SITE, "POST", "content-type"),
      );
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-origin"), SITE);
      // The admin token needs a preflight naming Authorization: refused for the public list.
      const admin = await app.request(
        "/api/v1/models/rollback",
        preflight(SITE, "POST", "authorization,content-type"),
      );
      assert.equal(admin.headers.get("access-control-allow-origin"), null);
      const sent = await app.request("/api/v1/models/rollback", {
        method: "POST",
        headers: { origin: SITE, authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(
        sent.headers.get("access-control-allow-origin"),
        null,
        "the answer is not readable",
      );
      // "*" opens the public API to any page, still not the admin routes.
      const star = appWith(f, { corsOrigins: ["*"] });
      const any = await star.request("/api/v1/movies?limit=1", { headers: { origin: EVIL } });
      assert.equal(any.headers.get("access-control-allow-origin"), EVIL);
      const anyAdmin = await star.request(
        "/api/v1/models/rollback",
        preflight(EVIL, "POST", "authorization"),
      );
      assert.equal(anyAdmin.headers.get("access-control-allow-origin"), null);
    }, { train: false });
  },
);

dbTest(
  "the admin allow-list lets only its origins send the admin token from a page",
  async (db) => {
    await withFixture(db, async (f) => {
      const app = appWith(f, { adminCorsOrigins: [ADMIN_SITE] });
      const ok = await app.request(
        "/api/v1/models/rollback",
        preflight(ADMIN_SITE, "POST", "authorization,content-type"),
      );
      assert.equal(ok.headers.get("access-control-allow-origin"), ADMIN_SITE);
      assert.match(ok.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
      const no = await app.request(
        "/api/v1/models/rollback",
        preflight(EVIL, "POST", "authorization"),
      );
      assert.equal(no.headers.get("access-control-allow-origin"), null);
    }, { train: false });
  },
);

Deno.test("the CORS variables take origins only, and the admin list never takes *", () => {
  const c = loadConfig({
    REELRANK_CORS_ORIGINS: `${SITE}, http://localhost:5173`,
    REELRANK_ADMIN_CORS_ORIGINS: ADMIN_SITE,
  });
  assert.deepEqual(c.http.corsOrigins, [SITE, "http://localhost:5173"]);
  assert.deepEqual(c.http.adminCorsOrigins, [ADMIN_SITE]);
  assert.deepEqual(loadConfig({}).http, {
    corsOrigins: [],
    adminCorsOrigins: [],
    adminRequestsPerMinute: 30,
  });
  assert.throws(
    () => loadConfig({ REELRANK_ADMIN_CORS_ORIGINS: "*" }),
    /REELRANK_ADMIN_CORS_ORIGINS must list origins.*got "\*"/,
  );
  assert.throws(
    () => loadConfig({ REELRANK_CORS_ORIGINS: "https://a.example/path" }),
    /REELRANK_CORS_ORIGINS.*no path/,
  );
  assert.throws(
    () => loadConfig({ REELRANK_CORS_ORIGINS: "javascript:alert(1)" }),
    /REELRANK_CORS_ORIGINS/,
  );
  assert.throws(
    () => loadConfig({ REELRANK_ADMIN_RATE_LIMIT: "0" }),
    /REELRANK_ADMIN_RATE_LIMIT must be a positive integer/,
  );
});
