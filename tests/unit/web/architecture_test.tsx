/** The site's architecture: no island, no script; island props survive JSON; user text is escaped; no secret reaches the HTML. */
import assert from "node:assert/strict";
import { trainAndRegister } from "../../../src/model/mod.ts";
import { readManifest } from "../../../web/assets.ts";
import { Island, serializeProps } from "../../../web/island.tsx";
import RecommendationGrid, { type GridProps } from "../../../web/islands/RecommendationGrid.tsx";
import { renderPage } from "../../../web/render.tsx";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";
import { dbTest } from "../../helpers/db.ts";
import { ADMIN_TOKEN, withFixture } from "../../helpers/serving.ts";

const manifest = readManifest();
const TRICKY = "</script><script>alert(1)</script> & <b>bold</b> \u2028\u2029 “quotes” 'single'";

/** The JSON text of every island's props on a page, by props element id. */
function islandProps(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (
    const m of html.matchAll(/<script type="application\/json" id="([^"]+)">(.*?)<\/script>/gs)
  ) {
    out.set(m[1], m[2]);
  }
  return out;
}

function grid(title: string): GridProps {
  return {
    userId: 7,
    k: 10,
    genre: null,
    genres: ["Drama", TRICKY],
    answer: {
      strategy: "model",
      modelVersion: 3,
      items: [{
        id: 1,
        title,
        year: null,
        genres: [],
        overview: TRICKY,
        posterUrl: null,
        because: [{ id: 2, title: TRICKY }],
      }],
    },
    kernelUrl: "/static/kernel-0123456789ab.wasm",
  };
}

Deno.test("a page without islands emits no <script> element at all", () => {
  const html = renderPage(<p>plain</p>, { title: "Plain", section: "home", manifest });
  assert.ok(!/<script/i.test(html), html);
});

Deno.test("a page with an island emits its props and exactly one module script for it", () => {
  const body = (
    <>
      <Island name="RecommendationGrid" component={RecommendationGrid} props={grid("A")} />
      <Island name="RecommendationGrid" component={RecommendationGrid} props={grid("B")} />
    </>
  );
  const html = renderPage(body, { title: "Two", section: "home", manifest });
  const modules = [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(modules, [`/static/${manifest.islands.RecommendationGrid}`]);
  assert.equal(islandProps(html).size, 2);
});

Deno.test("island props survive a JSON round trip, even with </script>, & and U+2028 in them", () => {
  const props = grid(TRICKY);
  const html = renderPage(
    <Island name="RecommendationGrid" component={RecommendationGrid} props={props} />,
    { title: "Props", section: "home", manifest },
  );
  const [[id, json]] = [...islandProps(html)];
  assert.match(html, new RegExp(`data-island="RecommendationGrid" data-props="${id}"`));
  assert.deepEqual(JSON.parse(json), props);
  assert.equal(json, serializeProps(props));
  assert.ok(!/[<>&\u2028\u2029]/.test(json), "raw <, >, & or line separators in the JSON");
});

Deno.test("a <script> title is escaped in the server-rendered island markup", () => {
  const html = renderPage(
    <Island
      name="RecommendationGrid"
      component={RecommendationGrid}
      props={grid("<script>alert(1)</script>")}
    />,
    { title: "<script>x</script>", section: "home", manifest },
  );
  assert.ok(!html.includes("<script>alert(1)"), "the title ran as markup");
  assert.ok(!html.includes("<script>x"), "the page title ran as markup");
  assert.ok(html.includes('<span class="card-title">&lt;script>alert(1)&lt;/script></span>'));
});

dbTest("a movie titled <script> shows as text on its page, which ships no script", async (db) => {
  await withFixture(db, async ({ app }) => {
    const html = await (await app.request("/movies/4")).text();
    assert.ok(!/<script/i.test(html), "the movie page has no island, so no script");
    assert.ok(!html.includes("<script>alert"), "the title ran as markup");
    assert.ok(html.includes("<h1>&lt;script>alert(&quot;x&quot;)&lt;/script> &amp; co</h1>"));
  }, {
    prepare: async (ctx) => {
      await ctx.db.query(
        `UPDATE movies SET title = '<script>alert("x")</script> & co' WHERE id = 4`,
      );
    },
  });
});

dbTest("no page of the site contains the admin token", async (db) => {
  await withFixture(db, async ({ app, ctx, engine }) => {
    const runs = await ctx.tracking.searchRuns({});
    const pipelineRun = await engine.run({ dag: "recommend", trigger: "manual" });
    const paths = [
      "/admin/pipeline",
      `/admin/pipeline/runs/${pipelineRun.id}`,
      "/admin/pipeline/runs/missing",
      "/",
      "/?user=3",
      "/?user=424242",
      "/movies/5",
      "/admin/runs",
      `/admin/runs/${runs.items[0].id}`,
      `/admin/compare?run=${runs.items[0].id}&run=${runs.items[1].id}`,
      "/admin/registry",
      "/admin/data",
      "/admin/drift",
      "/admin/runs/missing",
      "/movies/0",
    ];
    for (const path of paths) {
      const res = await app.request(path);
      const html = await res.text();
      assert.match(res.headers.get("content-type") ?? "", /text\/html/, path);
      assert.ok(!html.includes(ADMIN_TOKEN), `${path} leaks the admin token`);
      for (const [name, value] of res.headers) {
        assert.ok(!value.includes(ADMIN_TOKEN), `${path} header ${name}`);
      }
    }
  }, {
    prepare: async (ctx) => {
      await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 2, seed: 4 } });
      await ctx.releaseKernel();
    },
  });
});
