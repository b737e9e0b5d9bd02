/** POST /events: idempotent by eventId, stored as interactions (source event), reflected at once. */
import assert from "node:assert/strict";
import { loadInteractions } from "../../../src/data/queries.ts";
import { dbTest } from "../../helpers/db.ts";
import { postJson, withFixture } from "../../helpers/serving.ts";

dbTest(
  "an event is stored once per eventId and the user's next recommendations exclude its movie",
  async (db) => {
    await withFixture(db, async ({ app, metrics }) => {
      const before = await (await app.request("/api/v1/users/3/recommendations?k=3")).json();
      const movie = before.items[0].id;
      const event = {
        eventId: "ev-1",
        userId: 3,
        movieId: movie,
        type: "watch",
        watchSeconds: 600,
      };
      const first = await app.request("/api/v1/events", postJson(event));
      assert.equal(first.status, 201);
      assert.equal((await first.json()).duplicate, false);
      const again = await app.request("/api/v1/events", postJson(event));
      assert.equal(again.status, 200);
      assert.equal((await again.json()).duplicate, true);
      const rows = await db.query<{ source: string; watch_seconds: number }>(
        "SELECT source, watch_seconds FROM interactions WHERE user_id = 3 AND movie_id = $1",
        [movie],
      );
      assert.deepEqual(rows, [{ source: "event", watch_seconds: 600 }]);
      assert.equal((await db.query("SELECT 1 FROM events")).length, 1);
      const after = await (await app.request("/api/v1/users/3/recommendations?k=3")).json();
      assert.ok(!after.items.some((i: { id: number }) => i.id === movie));
      const text = await metrics.registry.metrics();
      assert.match(text, /reelrank_events_total\{outcome="stored"\} 1/);
      assert.match(text, /reelrank_events_total\{outcome="duplicate"\} 1/);
    });
  },
);

dbTest("the next training run reads events: they are ordinary interactions", async (db) => {
  await withFixture(db, async ({ app }) => {
    const event = { eventId: "ev-new-user", userId: 777, movieId: 12, type: "rate", rating: 4.5 };
    assert.equal((await app.request("/api/v1/events", postJson(event))).status, 201);
    const cols = await loadInteractions(db);
    const i = Array.from(cols.user).indexOf(777);
    assert.ok(i >= 0);
    assert.equal(cols.movie[i], 12);
    assert.equal(cols.rating[i], 4.5);
    const [user] = await db.query("SELECT source FROM users WHERE id = 777");
    assert.equal(user.source, "event");
    const summary = await (await app.request("/api/v1/users/777")).json();
    assert.equal(summary.interactions, 1);
    assert.equal(summary.recent[0].id, 12);
  });
});

dbTest(
  "a reused eventId with another payload is 409, an unknown movie 404, a rate without rating 400",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const ok = { eventId: "ev-2", userId: 3, movieId: 20, type: "watch" };
      assert.equal((await app.request("/api/v1/events", postJson(ok))).status, 201);
      const clash = await app.request("/api/v1/events", postJson({ ...ok, movieId: 21 }));
      assert.equal(clash.status, 409);
      assert.match((await clash.json()).error.message, /ev-2.*already used/);
      const unknown = await app.request(
        "/api/v1/events",
        postJson({ ...ok, eventId: "ev-3", movieId: 99_999 }),
      );
      assert.equal(unknown.status, 404);
      const noRating = await app.request(
        "/api/v1/events",
        postJson({ ...ok, eventId: "ev-4", type: "rate" }),
      );
      assert.equal(noRating.status, 400);
      assert.equal((await noRating.json()).error.fields[0].field, "rating");
      const badRating = await app.request(
        "/api/v1/events",
        postJson({ ...ok, eventId: "ev-5", type: "rate", rating: 3.7 }),
      );
      assert.equal((await badRating.json()).error.fields[0].field, "rating");
    });
  },
);
