/** The runs and run pages show a family comparison: children under their parent, their figures side by side. */
import assert from "node:assert/strict";
import { trainFamilies } from "../../../src/model/families/train_families.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

dbTest(
  "the runs page lists each family's child run under its comparison and the run page compares them",
  async (db) => {
    let parent = "";
    let children: { runId: string; family: string }[] = [];
    await withFixture(db, async (f) => {
      const runs = await (await f.app.request("/admin/runs")).text();
      const at = (id: string) => runs.indexOf(`/admin/runs/${id}"`);
      assert.ok(at(parent) > 0);
      // Children follow their parent, marked as nested; the best is labelled.
      for (const c of children) assert.ok(at(c.runId) > at(parent), `${c.family} under its parent`);
      assert.equal(runs.match(/class="child-run"/g)?.length, 3);
      assert.match(runs, /badge best/);
      const page = await (await f.app.request(`/admin/runs/${parent}`)).text();
      assert.match(page, /Family comparison: one child run per family/);
      for (const family of ["ease", "itemknn", "mlp"]) {
        assert.match(page, new RegExp(`<td>${family}</td>`));
      }
      assert.match(page, /λ = 10/);
      const child = await (await f.app.request(`/admin/runs/${children[0].runId}`)).text();
      assert.match(child, new RegExp(`Part of</dt><dd><a href="/admin/runs/${parent}"`));
      const api = await (await f.app.request(`/api/v1/runs?parent=${parent}`)).json();
      assert.deepEqual(
        api.items.map((r: { id: string }) => r.id).sort(),
        children.map((c) => c.runId).sort(),
      );
    }, {
      prepare: async (ctx) => {
        const r = await trainFamilies(ctx, {
          params: { ...SMALL_PARAMS, epochs: 2 },
          lambdas: [10],
          ks: [5],
          register: false,
        });
        parent = r.runId;
        children = r.children;
        await ctx.releaseKernel();
      },
    });
  },
);
