/** Admin · Drift: the newest reports with scores over the threshold marked, and PSI and overlap@10 over time in the chart props. */
import assert from "node:assert/strict";
import { recordRetrain, saveDriftReport } from "../../../src/observability/drift/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";

const props = (html: string) =>
  [...html.matchAll(/<script type="application\/json" id="[^"]+">(.*?)<\/script>/gs)].map((m) =>
    JSON.parse(m[1])
  );

const report = (
  key: string,
  at: string,
  scores: Record<string, number>,
  overlap: number | null,
) => ({
  kind: overlap === null ? "data" as const : "recommendations" as const,
  key,
  reference: overlap === null ? "20260101T000000Z-abc" : "version 1",
  subject: "300 interactions after the snapshot's newest",
  sampleSize: 300,
  threshold: 0.2,
  scores,
  overlapAt10: overlap,
  details: {},
  checkedAt: new Date(at),
});

dbTest("the drift page shows the newest reports and each feature's PSI over time", async (db) => {
  await withFixture(db, async ({ app }) => {
    const empty = await (await app.request("/admin/drift")).text();
    assert.match(empty, /No drift report yet/);
    await saveDriftReport(
      db,
      report("d1", "2026-01-01T00:00:00Z", { genre_mix: 0.05, user_activity: 0.01 }, null),
    );
    const id = await saveDriftReport(
      db,
      report("d2", "2026-01-02T00:00:00Z", { genre_mix: 0.31, user_activity: 0.02 }, null),
    );
    await recordRetrain(db, id, { at: new Date("2026-01-02T00:01:00Z"), runId: "run-42" });
    await saveDriftReport(
      db,
      report("r1", "2026-01-02T00:00:00Z", { recommended_genres: 0.1 }, 0.7),
    );
    const res = await app.request("/admin/drift");
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /aria-current="page"[^>]*>Drift</);
    assert.match(
      html,
      /genre_mix <strong>0\.3100<\/strong> <span class="badge status-failed">above 0\.2/,
    );
    assert.doesNotMatch(html, /user_activity <strong>0\.0200<\/strong> <span/);
    assert.match(html, /started 2026-01-02\u00a000:01\u00a0UTC \(run run-42\)/);
    const [psi, overlap] = props(html);
    assert.equal(psi.time, true);
    assert.deepEqual(psi.series.find((s: { label: string }) => s.label === "genre_mix").points, [
      [Date.UTC(2026, 0, 1) / 1000, 0.05],
      [Date.UTC(2026, 0, 2) / 1000, 0.31],
    ]);
    assert.deepEqual(overlap.series, [{
      label: "overlap@10",
      points: [[Date.UTC(2026, 0, 2) / 1000, 0.7]],
    }]);
  }, { train: false });
});
