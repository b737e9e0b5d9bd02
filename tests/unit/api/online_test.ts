/** Online evaluation through the API: outcomes on impressions, browser impressions, the canary and shadow of staging, metrics, admin moves. */
import assert from "node:assert/strict";
import { trainAndRegister } from "../../../src/model/mod.ts";
import { refreshOnlineGauges } from "../../../src/online/gauges.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { ADMIN_TOKEN, postJson, withFixture } from "../../helpers/serving.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const count = async (db: { query: (t: string) => Promise<{ n: number }[]> }, table: string) =>
  Number((await db.query(`SELECT count(*)::int8 AS n FROM ${table}`))[0].n);

dbTest(
  "clicks and watches on an impression are outcomes; a click is not an interaction",
  async (db) => {
    await withFixture(db, async ({ app, serving, metrics }) => {
      const shown = await (await app.request("/api/v1/users/3/recommendations?k=5")).json();
      const [first, second] = shown.items.map((i: { id: number }) => i.id);
      const interactions = await count(db, "interactions");
      const click = {
        eventId: "c-1",
        userId: 3,
        movieId: first,
        type: "click",
        impressionId: shown.impressionId,
      };
      const res = await app.request("/api/v1/events", postJson(click));
      assert.equal(res.status, 201);
      assert.equal(
        (await res.json()).position,
        1,
        "the position is where the impression showed it",
      );
      assert.equal(await count(db, "interactions"), interactions, "a click changes no history");
      const again = await app.request("/api/v1/events", postJson({ ...click, eventId: "c-2" }));
      assert.equal((await again.json()).duplicate, true);
      const watch = { ...click, eventId: "w-1", movieId: second, type: "watch", position: 2 };
      assert.equal((await app.request("/api/v1/events", postJson(watch))).status, 201);
      assert.equal(await count(db, "interactions"), interactions + 1, "a user's watch is history");
      // Wrong position, unknown impression, a visitor without an impression: refused, nothing stored.
      for (
        const [body, status, field] of [
          [{ ...watch, eventId: "w-2", position: 1 }, 400, "position 1"],
          [{ ...watch, eventId: "w-3", impressionId: "imp-nothing" }, 404, "imp-nothing"],
          [
            { eventId: "w-4", visitorId: "visitor-1234", movieId: first, type: "watch" },
            400,
            "visitorId",
          ],
          [{ ...click, eventId: "c-3", impressionId: undefined }, 400, "impressionId"],
          [{ ...click, eventId: "c-4", visitorId: "visitor-1234" }, 400, "userId"],
        ] as const
      ) {
        const r = await app.request("/api/v1/events", postJson(body));
        assert.equal(r.status, status, JSON.stringify(body));
        assert.ok((await r.text()).includes(field));
      }
      assert.equal(await count(db, "impression_outcomes"), 2);
      assert.equal(await count(db, "events"), 1);
      await serving.online.flush();
      const report = await (await app.request("/api/v1/online/metrics?window=1h")).json();
      const row = report.versions.find((r: { arm: string }) => r.arm === "production");
      assert.deepEqual([row.version, row.impressions, row.clicked, row.watched], [1, 1, 1, 1]);
      assert.equal(row.reciprocalPosition.value, 0.5);
      await refreshOnlineGauges(metrics, { db, clock: () => new Date("2026-01-01T00:30:00Z") });
      assert.match(
        await metrics.registry.metrics(),
        /reelrank_online_watch_rate_ratio\{version="1",arm="production"\} 1/,
      );
      const bad = await app.request("/api/v1/online/metrics?window=1y");
      assert.equal(bad.status, 400);
    });
  },
);

dbTest(
  "a browser impression names only shown movies and counts under the browser arm",
  async (db) => {
    await withFixture(db, async ({ app, serving }) => {
      const body = { visitorId: "v-0123456789abcdef", modelVersion: 1, movieIds: [5, 6, 7] };
      const res = await app.request("/api/v1/impressions", postJson(body));
      assert.equal(res.status, 201);
      const { impressionId } = await res.json();
      await serving.online.flush();
      const [row] = await db.query<{ arm: string; visitor_id: string; movie_ids: number[] }>(
        "SELECT arm, visitor_id, movie_ids FROM impressions WHERE id = $1",
        [impressionId],
      );
      assert.deepEqual(row, { arm: "browser", visitor_id: body.visitorId, movie_ids: [5, 6, 7] });
      assert.equal(
        (await app.request("/api/v1/impressions", postJson({ ...body, modelVersion: 9 }))).status,
        404,
      );
      const unknown = await app.request(
        "/api/v1/impressions",
        postJson({ ...body, movieIds: [5, 9999] }),
      );
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /9999/);
    });
  },
);

dbTest(
  "staging serves the canary's share, answers say which arm, the shadow records overlap, and staging is promoted",
  async (db) => {
    await withFixture(db, async ({ app, serving, ctx }) => {
      assert.equal(
        (await app.request("/api/v1/online/canary", {
          method: "PUT",
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify({ share: 0.5 }),
        })).status,
        409,
        "no staging version yet",
      );
      const staged = await app.request("/api/v1/models/2/stage", {
        method: "POST",
        headers: admin,
      });
      assert.equal(staged.status, 200);
      const put = (body: unknown) =>
        app.request("/api/v1/online/canary", {
          method: "PUT",
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const state = await (await put({ share: 1, minImpressions: 50 })).json();
      assert.deepEqual([state.share, state.stagingVersion, state.stagingLoaded], [1, 2, 2]);
      const user = await (await app.request("/api/v1/users/1/recommendations?k=4")).json();
      assert.deepEqual([user.arm, user.modelVersion], ["staging", 2]);
      const visitor = await (await app.request(
        "/api/v1/recommendations",
        postJson({ history: [1, 2, 3], k: 4, visitorId: "visitor-abcdef" }),
      )).json();
      assert.deepEqual([visitor.arm, visitor.modelVersion], ["staging", 2]);
      // The rule never promotes on too few impressions.
      const judged = await (await app.request("/api/v1/online/canary/evaluate", {
        method: "POST",
        headers: admin,
      })).json();
      assert.equal(judged.promoted, false);
      assert.match(judged.reason, /fewer than the 50/);
      // Shadow only: production answers, staging ranks the same request unseen.
      await put({ share: 0, shadowShare: 1 });
      const shadowed = await (await app.request("/api/v1/users/2/recommendations?k=10")).json();
      assert.deepEqual([shadowed.arm, shadowed.modelVersion], ["production", 1]);
      await serving.online.flush();
      const [list] = await db.query<{ staging_version: number; overlap10: number }>(
        "SELECT staging_version, overlap10 FROM shadow_lists WHERE impression_id = $1",
        [shadowed.impressionId],
      );
      assert.equal(list.staging_version, 2);
      assert.ok(list.overlap10 >= 0 && list.overlap10 <= 1);
      const report = await (await app.request("/api/v1/online/metrics?window=1d")).json();
      assert.equal(report.shadow[0].stagingVersion, 2);
      assert.equal(report.shadow[0].lists, 1);
      const staging = await (await app.request("/admin/registry")).text();
      assert.match(staging, /data-island="CanaryControls"/);
      assert.match(staging, /Staging version 2 serves 0\.0 % of users \(shadow 100\.0 %/);
      // Stop, then promote by hand.
      const stopped = await (await app.request("/api/v1/online/canary", {
        method: "DELETE",
        headers: admin,
      })).json();
      assert.deepEqual([stopped.share, stopped.shadowShare, stopped.stagingLoaded], [0, 0, null]);
      const promoted = await app.request("/api/v1/online/canary/promote", {
        method: "POST",
        headers: admin,
      });
      assert.deepEqual(await promoted.json(), { fromVersion: 1, toVersion: 2, serving: 2 });
      assert.equal(await ctx.registry.getAlias(MODEL_NAME, "staging"), null);
      const after = await (await app.request("/api/v1/users/1/recommendations?k=4")).json();
      assert.deepEqual([after.arm, after.modelVersion], ["production", 2]);
      const page = await (await app.request("/admin/registry")).text();
      assert.match(page, /Online evaluation/);
      assert.match(page, /data-arm="staging"/);
      assert.doesNotMatch(page, /data-island="CanaryControls"/, "no staging: no controls");
    }, {
      prepare: async (ctx) => {
        await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 1, seed: 5 } });
        await ctx.registry.setAliases(MODEL_NAME, { production: 1 });
        await ctx.releaseKernel();
      },
    });
  },
);

dbTest(
  "with autoPromote on, the server promotes staging once the rule says so, and serves it at once",
  async (db) => {
    await withFixture(db, async ({ app, serving, ctx, clock }) => {
      await ctx.registry.setAliases(MODEL_NAME, { staging: 2 });
      const put = await app.request("/api/v1/online/canary", {
        method: "PUT",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ share: 0.5, autoPromote: true, minImpressions: 100, alpha: 0.01 }),
      });
      assert.equal(put.status, 200);
      assert.equal(await serving.online.autoPromote(), false, "no impressions yet");
      // 200 impressions per arm since the canary started: production 20 % watched, staging 40 %.
      clock.advance(1_000);
      const shownAt = clock.now();
      const rows = [];
      for (let i = 0; i < 400; i++) {
        const staging = i % 2 === 1;
        rows.push({
          id: `imp-auto-${i}`,
          model: MODEL_NAME,
          userId: i + 1,
          visitorId: null,
          version: staging ? 2 : 1,
          arm: staging ? "staging" as const : "production" as const,
          strategy: "model" as const,
          movieIds: [1, 2, 3],
          shownAt,
        });
      }
      for (const r of rows) serving.online.impressions.record(r);
      await serving.online.flush();
      const watched = rows.filter((r, i) => r.arm === "staging" ? i % 5 < 2 : i % 10 < 2);
      await db.query(
        `INSERT INTO impression_outcomes (impression_id, type, position, movie_id, event_id, at)
       SELECT id, 'watch', 1, 1, 'e-' || id, $2 FROM unnest($1::text[]) AS id`,
        [watched.map((r) => r.id), shownAt.toISOString()],
      );
      assert.equal(await serving.online.autoPromote(), true);
      assert.equal((await ctx.registry.getAlias(MODEL_NAME, "production"))?.version, 2);
      const [move] = (await ctx.registry.aliasHistory(MODEL_NAME, { alias: "production" })).slice(
        -1,
      );
      assert.match(move.reason, /^canary rule: staging is better/);
      assert.equal(serving.version(), 2, "this server switched at once");
      assert.equal((await (await app.request("/api/v1/online/canary")).json()).share, 0);
    }, {
      prepare: async (ctx) => {
        await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 1, seed: 5 } });
        await ctx.registry.setAliases(MODEL_NAME, { production: 1 });
        await ctx.releaseKernel();
      },
    });
  },
);
