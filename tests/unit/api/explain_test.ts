/** `explain` on the recommendation routes (and the newest batch): leave-one-out `because` on every item, the same ranking, its own cache entries, bad values. */
import assert from "node:assert/strict";
import { Recommender } from "../../../src/model/mod.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { writeBatchRecommendations } from "../../../src/serving/batch.ts";
import { dbTest } from "../../helpers/db.ts";
import { type Fixture, postJson, withFixture } from "../../helpers/serving.ts";

interface Because {
  id: number;
  title: string;
  contribution: number;
}
interface Item {
  id: number;
  score: number;
  because?: Because[];
}

// The served version opened on its own, to recompute what the route should have said.
async function servedModel(f: Fixture): Promise<Recommender> {
  const { bytes } = await f.ctx.registry.loadArtifact(MODEL_NAME, f.serving.version()!);
  return await Recommender.open(bytes);
}

const lookups = async (f: Fixture, result: "hit" | "miss") =>
  (await f.metrics.cacheLookups.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

dbTest(
  "GET /users/{id}/recommendations?explain=true gives every item the history movies whose removal lowers its score most",
  async (db) => {
    await withFixture(db, async (f) => {
      const plain = await (await f.app.request("/api/v1/users/3/recommendations?k=8")).json();
      const res = await f.app.request("/api/v1/users/3/recommendations?k=8&explain=true");
      assert.equal(res.status, 200);
      const body = await res.json();
      // The ranking is the same; only `because` is added.
      assert.deepEqual(
        body.items.map((i: Item) => [i.id, i.score]),
        plain.items.map((i: Item) => [i.id, i.score]),
      );
      assert.ok(plain.items.every((i: Item) => !("because" in i)));
      const history = f.serving.histories.get(3)!;
      const model = await servedModel(f);
      try {
        const expected = model.explain(history, body.items.map((i: Item) => i.id));
        body.items.forEach((item: Item, n: number) => {
          const because = item.because!;
          assert.ok(Array.isArray(because) && because.length <= 3, `item ${item.id}`);
          assert.deepEqual(because.map((b) => b.id), expected[n].map((b) => b.movieId));
          for (const [j, b] of because.entries()) {
            assert.ok(history.includes(b.id) && b.id !== item.id, `${b.id} for ${item.id}`);
            assert.equal(b.title, `Movie ${b.id}`);
            assert.ok(b.contribution > 0);
            assert.ok(Math.abs(b.contribution - expected[n][j].contribution) < 1e-5);
            if (j > 0) assert.ok(because[j - 1].contribution >= b.contribution);
          }
        });
        assert.ok(body.items.some((i: Item) => i.because!.length > 0), "nothing was explained");
      } finally {
        model.close();
      }
    });
  },
);

dbTest(
  "explained answers are cached apart: a plain request after an explained one never gets `because`",
  async (db) => {
    await withFixture(db, async (f) => {
      const url = "/api/v1/users/5/recommendations?k=4";
      const explained = await (await f.app.request(`${url}&explain=true`)).json();
      assert.ok(explained.items.every((i: Item) => Array.isArray(i.because)));
      const plain = await (await f.app.request(url)).json();
      assert.ok(plain.items.every((i: Item) => !("because" in i)));
      const hits = await lookups(f, "hit");
      const again = await (await f.app.request(`${url}&explain=true`)).json();
      assert.equal(await lookups(f, "hit"), hits + 1);
      // The same cached answer, shown again: a new impression.
      assert.notEqual(again.impressionId, explained.impressionId);
      assert.deepEqual({ ...again, impressionId: "" }, { ...explained, impressionId: "" });
      assert.ok(
        (await (await f.app.request(`${url}&explain=false`)).json()).items.every((i: Item) =>
          !("because" in i)
        ),
      );
    });
  },
);

dbTest(
  "POST /recommendations with explain explains a visitor's history, and popularity answers explain nothing",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const history = [31, 32, 33, 34, 91, 92];
      const res = await app.request(
        "/api/v1/recommendations",
        postJson({ history, k: 5, explain: true }),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.strategy, "model");
      for (const item of body.items as Item[]) {
        assert.ok(item.because!.every((b) => history.includes(b.id) && b.id !== item.id));
      }
      assert.ok(body.items.some((i: Item) => i.because!.length > 0));
      const unknown = await (await app.request(
        "/api/v1/users/424242/recommendations?k=3&explain=true",
      )).json();
      assert.equal(unknown.strategy, "popularity");
      assert.deepEqual(unknown.items.map((i: Item) => i.because), [[], [], []]);
    });
  },
);

dbTest(
  "a bad explain value is a 400 naming the field, in the query and in the body",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const get = await app.request("/api/v1/users/3/recommendations?explain=yes");
      assert.equal(get.status, 400);
      assert.equal((await get.json()).error.fields[0].field, "explain");
      const post = await app.request(
        "/api/v1/recommendations",
        postJson({ history: [1], explain: "yes" }),
      );
      assert.equal(post.status, 400);
      assert.equal((await post.json()).error.fields[0].field, "explain");
    });
  },
);

dbTest(
  "GET /recommendations/latest?explain=true explains each stored list against its user's history, by the model that wrote it",
  async (db) => {
    await withFixture(db, async (f) => {
      const served = f.serving.holder.current!;
      await writeBatchRecommendations(db, served, {
        histories: f.serving.histories,
        k: 5,
        now: f.clock.now(),
      });
      const plain = await (await f.app.request("/api/v1/recommendations/latest?k=5&limit=4"))
        .json();
      const res = await f.app.request("/api/v1/recommendations/latest?k=5&limit=4&explain=true");
      assert.equal(res.status, 200);
      const body = await res.json();
      // The stored lists as they are; only `because` is added.
      assert.deepEqual(
        body.users.map((u: { items: Item[] }) => u.items.map((i) => [i.id, i.score])),
        plain.users.map((u: { items: Item[] }) => u.items.map((i) => [i.id, i.score])),
      );
      assert.ok(
        plain.users.every((u: { items: Item[] }) => u.items.every((i) => !("because" in i))),
      );
      const model = await servedModel(f);
      try {
        for (const u of body.users as { userId: number; items: Item[] }[]) {
          const history = f.serving.histories.get(u.userId)!;
          const expected = model.explain(history, u.items.map((i) => i.id));
          u.items.forEach((item, n) => {
            assert.deepEqual(
              item.because!.map((b) => [b.id, b.title]),
              expected[n].map((b) => [b.movieId, `Movie ${b.movieId}`]),
              `user ${u.userId}, movie ${item.id}`,
            );
            item.because!.forEach((b, j) =>
              assert.ok(Math.abs(b.contribution - expected[n][j].contribution) < 1e-5)
            );
          });
        }
        assert.ok(
          body.users.some((u: { items: Item[] }) => u.items.some((i) => i.because!.length > 0)),
          "nothing was explained",
        );
      } finally {
        model.close();
      }

      const wide = await f.app.request("/api/v1/recommendations/latest?limit=51&explain=true");
      assert.equal(wide.status, 400);
      assert.match(
        (await wide.json()).error.message,
        /^limit must be at most 50 with explain=true/,
      );

      // Another version in service: only the model that ranked the batch can explain it.
      const { bytes } = await f.ctx.registry.loadArtifact(MODEL_NAME, 1);
      const other = await f.ctx.registry.registerVersion(MODEL_NAME, { artifact: bytes });
      await f.ctx.registry.promote(MODEL_NAME, other.version);
      await f.serving.watcher.check();
      const stale = await f.app.request("/api/v1/recommendations/latest?explain=true");
      assert.equal(stale.status, 409);
      assert.match(
        (await stale.json()).error.message,
        new RegExp(`ranked by model version 1 and this server serves version ${other.version}`),
      );
      assert.equal((await f.app.request("/api/v1/recommendations/latest")).status, 200);
    });
  },
);

dbTest("GET /movies/{id}/similar says in /openapi.json why it has no explain", async (db) => {
  await withFixture(db, async ({ app }) => {
    const doc = await (await app.request("/openapi.json")).json();
    const similar = doc.paths["/api/v1/movies/{id}/similar"].get;
    assert.match(
      similar.description,
      /no `explain`: every item's `because` would be the movie itself/,
    );
    assert.ok(!similar.parameters.some((p: { name: string }) => p.name === "explain"));
    const latest = doc.paths["/api/v1/recommendations/latest"].get.parameters;
    assert.ok(latest.some((p: { name: string }) => p.name === "explain"));
  });
});

dbTest("/openapi.json documents explain and the Because items", async (db) => {
  await withFixture(db, async ({ app }) => {
    const doc = await (await app.request("/openapi.json")).json();
    const params = doc.paths["/api/v1/users/{id}/recommendations"].get.parameters;
    assert.ok(params.some((p: { name: string }) => p.name === "explain"));
    assert.ok(doc.components.schemas.VisitorRequest.properties.explain);
    const item = JSON.stringify(doc.components.schemas.RecommendedMovie);
    assert.match(
      item,
      /"because":\{"type":"array","items":\{"\$ref":"#\/components\/schemas\/Because"\}/,
    );
    assert.deepEqual(
      Object.keys(doc.components.schemas.Because.properties).sort(),
      ["contribution", "id", "title"],
    );
  });
});
