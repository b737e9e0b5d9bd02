/** Movies, users, runs and the batch recommendations through app.request(). */
import assert from "node:assert/strict";
import { writeBatchRecommendations } from "../../../src/serving/batch.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";

dbTest("GET /movies searches titles and genres and pages with a cursor", async (db) => {
  await withFixture(db, async ({ app }) => {
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const url = `/api/v1/movies?query=movie%201&genre=Comedy&limit=4${
        cursor === null ? "" : `&cursor=${cursor}`
      }`;
      const page: { items: { id: number; genres: string[] }[]; nextCursor: number | null } =
        await (await app.request(url)).json();
      assert.ok(page.items.length <= 4);
      for (const m of page.items) {
        assert.ok(m.genres.includes("Comedy") && String(m.id).startsWith("1"));
        seen.push(m.id);
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    const expected = Array.from({ length: 180 }, (_, i) => i + 1)
      .filter((id) => id % 3 === 0 && String(id).startsWith("1"));
    assert.deepEqual(seen, expected);
    const literal = await (await app.request("/api/v1/movies?query=%25")).json();
    assert.equal(literal.items.length, 0);
  });
});

dbTest(
  "GET /movies/{id} answers one movie or 404, and /similar never returns the movie itself",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const m = await (await app.request("/api/v1/movies/8")).json();
      assert.deepEqual([m.id, m.title, m.posterUrl], [
        8,
        "Movie 8",
        "https://image.tmdb.org/t/p/w342/p8.jpg",
      ]);
      const missing = await app.request("/api/v1/movies/5000");
      assert.equal(missing.status, 404);
      assert.match((await missing.json()).error.message, /movie 5000/);
      const sim = await (await app.request("/api/v1/movies/8/similar?k=5")).json();
      assert.equal(sim.items.length, 5);
      assert.ok(sim.items.every((i: { id: number }) => i.id !== 8));
      assert.equal((await app.request("/api/v1/movies/5000/similar")).status, 404);
    });
  },
);

dbTest("GET /users/{id} summarises the history; an unknown user is 404", async (db) => {
  await withFixture(db, async ({ app, serving }) => {
    const s = await (await app.request("/api/v1/users/3")).json();
    const history = serving.histories.get(3)!;
    assert.equal(s.interactions, history.length);
    assert.equal(s.recent[0].id, history.at(-1));
    assert.equal(s.source, "movielens");
    assert.equal((await app.request("/api/v1/users/424242")).status, 404);
  });
});

dbTest(
  "GET /runs pages runs and /runs/{id} has params and metric history; bad ids and tokens are 4xx",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const page = await (await app.request("/api/v1/runs?limit=1&status=finished")).json();
      assert.equal(page.items.length, 1);
      const run = await (await app.request(`/api/v1/runs/${page.items[0].id}`)).json();
      assert.equal(run.params.hidden, SMALL_PARAMS.hidden!.join(","));
      assert.equal(run.history.member1_val_ndcg10.length, 2);
      assert.equal((await app.request("/api/v1/runs/nope")).status, 404);
      const bad = await app.request("/api/v1/runs?pageToken=garbage");
      assert.equal(bad.status, 400);
      assert.equal((await app.request("/api/v1/runs?status=sleeping")).status, 400);
    });
  },
);

dbTest(
  "the batch step writes top-k per user idempotently and /recommendations/latest pages it",
  async (db) => {
    await withFixture(db, async ({ app, serving, clock }) => {
      assert.equal((await app.request("/api/v1/recommendations/latest")).status, 503);
      const served = serving.holder.current!;
      const opts = { histories: serving.histories, k: 5, now: clock.now(), chunk: 16 };
      const first = await writeBatchRecommendations(db, served, opts);
      const again = await writeBatchRecommendations(db, served, opts);
      assert.deepEqual(again, first);
      assert.equal(first.users, serving.histories.size);
      const [{ n }] = await db.query<{ n: number }>(
        "SELECT count(*)::int8 AS n FROM batch_recommendations",
      );
      assert.equal(n, first.rows);
      const latest = await (await app.request("/api/v1/recommendations/latest?k=3&limit=7")).json();
      assert.equal(latest.modelVersion, 1);
      assert.equal(latest.users.length, 7);
      assert.ok(latest.users.every((u: { items: unknown[] }) => u.items.length === 3));
      const next = await (await app.request(
        `/api/v1/recommendations/latest?k=3&limit=7&cursor=${latest.nextCursor}`,
      )).json();
      assert.ok(next.users[0].userId > latest.users.at(-1).userId);
      const live =
        await (await app.request(`/api/v1/users/${latest.users[0].userId}/recommendations?k=3`))
          .json();
      assert.deepEqual(
        live.items.map((i: { id: number }) => i.id),
        latest.users[0].items.map((i: { id: number }) => i.id),
      );
    });
  },
);
