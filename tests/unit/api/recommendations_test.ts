/** The recommendation routes through app.request(): model answers, exclusions, genres, popularity, bad input. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import { postJson, withFixture } from "../../helpers/serving.ts";

dbTest(
  "GET /users/{id}/recommendations ranks with the production model and never returns a watched movie",
  async (db) => {
    await withFixture(db, async ({ app, serving }) => {
      const res = await app.request("/api/v1/users/3/recommendations?k=5");
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.strategy, "model");
      assert.equal(body.modelVersion, 1);
      assert.equal(body.userId, 3);
      assert.equal(body.items.length, 5);
      const watched = new Set(serving.histories.get(3));
      for (const item of body.items) {
        assert.ok(!watched.has(item.id), `movie ${item.id} was watched`);
        assert.equal(typeof item.score, "number");
        assert.equal(item.title, `Movie ${item.id}`);
        assert.equal(
          item.posterUrl,
          item.id % 2 === 0 ? `https://image.tmdb.org/t/p/w342/p${item.id}.jpg` : null,
        );
      }
    });
  },
);

dbTest("GET /users/{id}/recommendations honours genre and exclude", async (db) => {
  await withFixture(db, async ({ app }) => {
    const top = await (await app.request("/api/v1/users/3/recommendations?k=3")).json();
    const skip = top.items.slice(0, 2).map((i: { id: number }) => i.id);
    const res = await app.request(`/api/v1/users/3/recommendations?k=3&exclude=${skip.join(",")}`);
    const ids = (await res.json()).items.map((i: { id: number }) => i.id);
    assert.equal(ids[0], top.items[2].id);
    assert.ok(!ids.includes(skip[0]) && !ids.includes(skip[1]));
    const comedy = await (await app.request("/api/v1/users/3/recommendations?k=8&genre=Comedy"))
      .json();
    assert.equal(comedy.items.length, 8);
    assert.ok(comedy.items.every((i: { genres: string[] }) => i.genres.includes("Comedy")));
  });
});

dbTest("an unknown user gets the most watched movies, marked as popularity", async (db) => {
  await withFixture(db, async ({ app, serving }) => {
    const body = await (await app.request("/api/v1/users/424242/recommendations?k=4")).json();
    assert.equal(body.strategy, "popularity");
    assert.equal(body.modelVersion, null);
    const counts = serving.histories.counts();
    const scores = body.items.map((i: { id: number; score: number }) => i.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.equal(scores[0], Math.max(...counts.values()));
  });
});

dbTest("k out of range and a non-numeric id are 400s naming the field", async (db) => {
  await withFixture(db, async ({ app }) => {
    for (
      const [url, field] of [
        ["/api/v1/users/3/recommendations?k=101", "k"],
        ["/api/v1/users/3/recommendations?k=0", "k"],
        ["/api/v1/users/abc/recommendations", "id"],
        ["/api/v1/users/3/recommendations?exclude=1,x", "exclude"],
      ]
    ) {
      const res = await app.request(url);
      assert.equal(res.status, 400, url);
      const body = await res.json();
      assert.equal(body.error.code, "INVALID_PARAMETER");
      assert.equal(body.error.fields[0].field, field, url);
      assert.ok(body.requestId.length > 0);
    }
  });
});

dbTest(
  "POST /recommendations ranks a visitor's history and reports the ids it does not know",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const res = await app.request(
        "/api/v1/recommendations",
        postJson({ history: [5, 6, 7, 999_999], k: 4 }),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.strategy, "model");
      assert.deepEqual(body.unknownIds, [999_999]);
      assert.equal(body.items.length, 4);
      assert.ok(body.items.every((i: { id: number }) => ![5, 6, 7].includes(i.id)));
    });
  },
);

dbTest(
  "POST /recommendations rejects wrong types, long histories, malformed and oversized bodies",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const cases: [RequestInit, number, RegExp][] = [
        [postJson({ history: ["a"] }), 400, /history\.0/],
        [postJson({ history: [1], k: 500 }), 400, /^k:/],
        [
          postJson({ history: Array.from({ length: 1001 }, (_, i) => i + 1) }),
          400,
          /history:.*1000/,
        ],
        [postJson("{not json"), 400, /malformed JSON/],
        // Counted while read (no declared length), and refused from the declared length alone.
        [postJson({ history: [1], pad: "x".repeat(300_000) }), 413, /over the limit/],
        [postJson({ history: [1] }, { "content-length": "300000" }), 413, /over the limit/],
      ];
      for (const [init, status, message] of cases) {
        const res = await app.request("/api/v1/recommendations", init);
        assert.equal(res.status, status);
        assert.match((await res.json()).error.message, message);
      }
    });
  },
);
