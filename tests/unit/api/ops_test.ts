/** Operational routes, the generated OpenAPI document, the offline docs and the 500 that leaks nothing. */
import assert from "node:assert/strict";
import { createApp } from "../../../src/api/app.ts";
import { configureLogging } from "../../../src/log.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { dbTest } from "../../helpers/db.ts";
import { ADMIN_TOKEN, type Fixture, withFixture } from "../../helpers/serving.ts";

dbTest("/health is alive and /ready names the model in service", async (db) => {
  await withFixture(db, async ({ app }) => {
    assert.deepEqual(await (await app.request("/health")).json(), { status: "ok" });
    const ready = await app.request("/ready");
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready", modelVersion: 1 });
  });
});

dbTest("/ready is 503 with the reason while no production model exists", async (db) => {
  await withFixture(db, async ({ app }) => {
    const ready = await app.request("/ready");
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.status, "unavailable");
    assert.match(body.reason, /no production model/);
    const recs = await (await app.request("/api/v1/users/3/recommendations")).json();
    assert.equal(recs.strategy, "popularity");
    const similar = await app.request("/api/v1/movies/5/similar");
    assert.equal(similar.status, 503);
  }, { train: false });
});

dbTest("/metrics labels requests by route pattern, never by raw path", async (db) => {
  await withFixture(db, async ({ app }) => {
    await app.request("/api/v1/users/3/recommendations");
    await app.request("/api/v1/users/4/recommendations");
    await app.request("/no/such/route");
    const res = await app.request("/metrics");
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    const text = await res.text();
    assert.match(
      text,
      /reelrank_http_requests_total\{method="GET",route="\/api\/v1\/users\/:id\/recommendations",status="200"\} 2/,
    );
    assert.match(
      text,
      /reelrank_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/,
    );
    assert.match(text, /reelrank_http_request_duration_seconds_bucket\{/);
    assert.match(text, /reelrank_model_info\{version="1",run="[0-9a-f-]+"\} 1/);
    assert.ok(!text.includes("/users/3"));
  });
});

dbTest("/openapi.json is OpenAPI 3.1 and documents every route with its parameters", async (db) => {
  await withFixture(db, async ({ app }) => {
    const doc = await (await app.request("/openapi.json")).json();
    assert.equal(doc.openapi, "3.1.0");
    const paths = Object.keys(doc.paths).sort();
    for (
      const p of [
        "/api/v1/events",
        "/api/v1/models",
        "/api/v1/models/rollback",
        "/api/v1/models/{version}/promote",
        "/api/v1/movies",
        "/api/v1/movies/{id}",
        "/api/v1/movies/{id}/similar",
        "/api/v1/recommendations",
        "/api/v1/recommendations/latest",
        "/api/v1/runs",
        "/api/v1/runs/{id}",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/recommendations",
        "/health",
        "/metrics",
        "/ready",
      ]
    ) assert.ok(paths.includes(p), `${p} missing from ${paths.join(", ")}`);
    const k = doc.paths["/api/v1/users/{id}/recommendations"].get.parameters
      .find((p: { name: string }) => p.name === "k");
    assert.deepEqual([k.schema.minimum, k.schema.maximum], [1, 100]);
    assert.deepEqual(doc.paths["/api/v1/models/rollback"].post.security, [{ adminToken: [] }]);
  });
});

dbTest("/docs is served with its assets from this server, no CDN", async (db) => {
  await withFixture(db, async ({ app }) => {
    const html = await (await app.request("/docs")).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length >= 3);
    for (const ref of refs) {
      assert.ok(ref.startsWith("/docs/assets/"), ref);
      const asset = await app.request(ref);
      assert.equal(asset.status, 200, ref);
      assert.ok((await asset.arrayBuffer()).byteLength > 0);
    }
    // The site's root links to the docs from its navigation.
    const home = await app.request("/");
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<a href="\/docs">API<\/a>/);
  });
});

dbTest("an unexpected failure is a 500 with a request id and none of its internals", async (db) => {
  await withFixture(db, async (f: Fixture) => {
    const broken = {
      ...db,
      query: () => Promise.reject(new Error("relation secret_table_xyz does not exist")),
    };
    const app = createApp({
      db: broken,
      registry: f.ctx.registry,
      tracking: f.ctx.tracking,
      serving: f.serving,
      metrics: createMetrics(),
      adminToken: ADMIN_TOKEN,
      clock: f.clock.now,
    });
    const lines: string[] = [];
    configureLogging({ write: (l) => lines.push(l) });
    let res: Response;
    try {
      res = await app.request("/api/v1/movies/5", { headers: { "x-request-id": "req-42" } });
    } finally {
      configureLogging({ write: (l) => console.error(l) });
    }
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "request failed");
    assert.equal(logged.request_id, "req-42");
    assert.match(logged.error.message, /secret_table_xyz/, "the log keeps what the answer hides");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes("secret_table_xyz"));
    assert.deepEqual(JSON.parse(text).requestId, "req-42");
    assert.equal(res.headers.get("x-request-id"), "req-42");
    const ready = await app.request("/ready");
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).reason, "the database does not answer");
  });
});
