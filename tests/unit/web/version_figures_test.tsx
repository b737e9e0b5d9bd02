/** The registry page's figures per version: the tie-aware test NDCG@10 and every beyond-accuracy metric the run measured, "—" where it did not. */
import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { MODEL_NAME, type ModelVersion } from "../../../src/registry/store.ts";
import { VERSION_FIGURES, VersionFigures } from "../../../web/components/version_figures.tsx";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";

const version = (n: number, metrics: Record<string, number>, family: string | null) =>
  ({
    model: "reelrank",
    version: n,
    artifactKey: `models/${n}`,
    sha256: "0".repeat(64),
    size: 1,
    runId: null,
    snapshotId: null,
    metrics,
    family,
    description: "",
    createdAt: new Date(0),
    aliases: [],
  }) satisfies ModelVersion;

// Each version's row of the figures table as { metric key: cell text }.
function rows(page: string): Map<number, Record<string, string>> {
  const html = page.slice(page.indexOf('<table class="version-figures">'));
  const out = new Map<number, Record<string, string>>();
  for (const [, v, body] of html.matchAll(/<tr data-version="(\d+)">(.*?)<\/tr>/gs)) {
    const cells = [...body.matchAll(/<td class="num" data-metric="(\w+)">([^<]*)<\/td>/g)];
    out.set(Number(v), Object.fromEntries(cells.map(([, k, text]) => [k, text])));
  }
  return out;
}

Deno.test("VersionFigures shows each version's tie-aware NDCG@10, coverage (val and test), Gini, popularity percentile, novelty and diversity", () => {
  const html = renderToString(
    <VersionFigures
      versions={[
        version(2, {
          strict_test_ndcg10: 0.06123,
          val_coverage10: 0.2345,
          test_coverage10: 0.25,
          test_gini10: 0.8765,
          test_pop_percentile: 91.234,
          test_novelty: 7.125,
          test_diversity10: 0.7,
          test_ndcg10: 0.9,
        }, "ease"),
        version(1, { val_ndcg10: 0.05 }, null),
      ]}
    />,
  );
  assert.deepEqual(VERSION_FIGURES.map(([, k]) => k), [
    "strict_test_ndcg10",
    "val_coverage10",
    "test_coverage10",
    "test_gini10",
    "test_pop_percentile",
    "test_novelty",
    "test_diversity10",
  ]);
  const r = rows(html);
  assert.deepEqual(r.get(2), {
    strict_test_ndcg10: "0.0612",
    val_coverage10: "0.2345",
    test_coverage10: "0.2500",
    test_gini10: "0.8765",
    test_pop_percentile: "91.2340",
    test_novelty: "7.1250",
    test_diversity10: "0.7000",
  });
  // A version whose run measured none of them (registered before they existed).
  assert.deepEqual(Object.values(r.get(1)!), Array(7).fill("—"));
  assert.match(html, /<th scope="row">2<\/th><td>ease<\/td>/);
  for (const [h] of VERSION_FIGURES) assert.ok(html.includes(`<th scope="col">${h}</th>`), h);
});

dbTest(
  "the registry page shows the figures each version's run measured, and — where it measured none",
  async (db) => {
    await withFixture(db, async ({ app, ctx }) => {
      const { bytes } = await ctx.registry.loadArtifact(MODEL_NAME, 1);
      await ctx.registry.registerVersion(MODEL_NAME, {
        artifact: bytes,
        family: "itemknn",
        metrics: { strict_test_ndcg10: 0.04321, test_gini10: 0.61, test_novelty: 6.5 },
      });
      const html = await (await app.request("/admin/registry")).text();
      const r = rows(html);
      assert.deepEqual(
        [r.get(2)!.strict_test_ndcg10, r.get(2)!.test_gini10, r.get(2)!.test_novelty],
        ["0.0432", "0.6100", "6.5000"],
      );
      assert.equal(r.get(2)!.test_diversity10, "—");
      // A single training run (version 1) logs accuracy only: its row has no figure.
      assert.deepEqual(Object.values(r.get(1)!), Array(7).fill("—"));
    });
  },
);
