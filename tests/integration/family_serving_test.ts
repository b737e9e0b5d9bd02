/** An EASE or ItemKNN version goes through the same registry, gate and serving path as the MLP. */
import assert from "node:assert/strict";
import { trainFamilies } from "../../src/model/families/train_families.ts";
import { dbTest } from "../helpers/db.ts";
import { withFixture } from "../helpers/serving.ts";

for (const family of ["ease", "itemknn"] as const) {
  dbTest(
    `a promoted ${family} version serves the API's recommendations and similar movies`,
    async (db) => {
      let version = 0;
      await withFixture(db, async (f) => {
        assert.equal(f.serving.version(), version);
        const answer = await (await f.app.request("/api/v1/users/3/recommendations?k=5")).json();
        assert.equal(answer.strategy, "model");
        assert.equal(answer.modelVersion, version);
        assert.equal(answer.items.length, 5);
        const history = new Set(
          (await f.ctx.db.query(`SELECT movie_id FROM interactions WHERE user_id = 3`)).map((r) =>
            Number(r.movie_id)
          ),
        );
        for (const item of answer.items) assert.ok(!history.has(item.id));
        const visitor = await (await f.app.request("/api/v1/recommendations", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ history: [...history].slice(0, 3), k: 4 }),
        })).json();
        assert.equal(visitor.items.length, 4);
        const seedMovie = answer.items[0].id;
        const similar = await (await f.app.request(`/api/v1/movies/${seedMovie}/similar?k=3`))
          .json();
        assert.equal(similar.items.length, 3);
        assert.ok(similar.items.every((i: { id: number }) => i.id !== seedMovie));
        const models = await (await f.app.request("/api/v1/models")).json();
        assert.equal(
          models.versions.find((v: { version: number }) => v.version === version).family,
          family,
        );
      }, {
        train: false,
        prepare: async (ctx) => {
          const r = await trainFamilies(ctx, { families: [family], lambdas: [10], ks: [10] });
          assert.equal(r.decision?.promoted, true);
          version = r.version!;
          await ctx.releaseKernel();
        },
      });
    },
  );
}
