/** Online metrics against a hand computation: CTR@k, watch rate and mean reciprocal position per version and arm, and the shadow's figures. */
import assert from "node:assert/strict";
import { insertImpressions } from "../../../src/online/impressions.ts";
import { onlineMetrics, parseWindow, shadowMetrics } from "../../../src/online/online_metrics.ts";
import { meanInterval, wilson } from "../../../src/online/stats.ts";
import type { Database } from "../../../src/db/types.ts";
import { dbTest } from "../../helpers/db.ts";

const t0 = new Date("2026-03-01T12:00:00Z");

async function seed(db: Database) {
  const imp = (id: string, version: number, arm: "production" | "staging", minutes = 0) => ({
    id,
    model: "reelrank",
    userId: null,
    visitorId: `visitor-${id}`,
    version,
    arm,
    strategy: "model" as const,
    movieIds: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22],
    shownAt: new Date(t0.getTime() + minutes * 60_000),
  });
  await insertImpressions(db, [
    imp("a", 1, "production"),
    imp("b", 1, "production"),
    imp("c", 1, "production"),
    imp("d", 1, "production"),
    imp("e", 2, "staging"),
    imp("f", 2, "staging"),
    imp("old", 1, "production", -120), // outside a 1 h window
  ]);
  const out = (id: string, type: string, position: number) =>
    db.query(
      `INSERT INTO impression_outcomes (impression_id, type, position, movie_id, event_id, at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, type, position, 10 + position, `${id}-${type}-${position}`, t0.toISOString()],
    );
  // Production v1: a clicked at 1 and 3, watched 1; b clicked at 2, watched 2 and 4;
  // c clicked at 12 only (outside k = 10); d nothing.
  await out("a", "click", 1);
  await out("a", "click", 3);
  await out("a", "watch", 1);
  await out("b", "click", 2);
  await out("b", "watch", 2);
  await out("b", "watch", 4);
  await out("c", "click", 12);
  // Staging v2: e watched at 5 without a click; f clicked at 1.
  await out("e", "watch", 5);
  await out("f", "click", 1);
  await out("old", "watch", 1);
  await db.query(
    `INSERT INTO shadow_lists (impression_id, staging_version, movie_ids, overlap10, at) VALUES
       ('a', 2, '{11, 30, 31}', 0.1, $1), ('b', 2, '{40, 41, 14, 12}', 0.2, $1)`,
    [t0.toISOString()],
  );
}

dbTest("onlineMetrics() matches the metrics computed by hand", async (db) => {
  await seed(db);
  const rows = await onlineMetrics(db, {
    model: "reelrank",
    since: new Date(t0.getTime() - 3_600_000),
    until: new Date(t0.getTime() + 1),
    k: 10,
  });
  assert.deepEqual(rows.map((r) => [r.version, r.arm, r.impressions]), [
    [2, "staging", 2],
    [1, "production", 4],
  ]);
  const [staging, production] = rows;
  // Production: clicked in the top 10 = a, b → 2/4; watched = a, b → 2/4;
  // watched positions 1, 2, 4 → reciprocal 1, 0.5, 0.25.
  assert.equal(production.clicked, 2);
  assert.equal(production.watched, 2);
  assert.deepEqual(production.ctr, wilson(2, 4));
  assert.deepEqual(production.watchRate, wilson(2, 4));
  assert.equal(production.reciprocalPosition.n, 3);
  assert.ok(Math.abs(production.reciprocalPosition.value! - 1.75 / 3) < 1e-12);
  const expected = meanInterval(1.75, 1.3125, 3);
  assert.ok(Math.abs(production.reciprocalPosition.low! - expected.low!) < 1e-9);
  // Staging: clicked = f (1/2), watched = e (1/2), reciprocal position 1/5.
  assert.deepEqual([staging.clicked, staging.watched], [1, 1]);
  assert.ok(Math.abs(staging.reciprocalPosition.value! - 0.2) < 1e-12);
  // With k = 3, b's watch at 2 still counts but the click at 12 never does.
  const k1 = await onlineMetrics(db, {
    model: "reelrank",
    since: new Date(t0.getTime() - 3_600_000),
    until: new Date(t0.getTime() + 1),
    k: 1,
  });
  assert.deepEqual(k1.map((r) => [r.clicked, r.watched]), [[1, 0], [1, 1]]);
});

dbTest(
  "shadowMetrics() reports overlap@10 and where staging had the movies users watched",
  async (db) => {
    await seed(db);
    const [s] = await shadowMetrics(db, {
      model: "reelrank",
      since: new Date(t0.getTime() - 3_600_000),
      until: new Date(t0.getTime() + 1),
    });
    assert.equal(s.stagingVersion, 2);
    assert.equal(s.lists, 2);
    assert.ok(Math.abs(s.overlap10! - 0.15) < 1e-6);
    // Watched under a: movie 11 (staging position 1); under b: 12 (position 4) and 14 (position 3).
    assert.equal(s.watchedItems, 3);
    assert.deepEqual(s.inStagingList, wilson(3, 3));
    assert.ok(Math.abs(s.stagingReciprocalPosition.value! - (1 + 1 / 4 + 1 / 3) / 3) < 1e-9);
  },
);

Deno.test("parseWindow() reads 15m, 1h, 7d and refuses the rest", () => {
  assert.equal(parseWindow("15m"), 900_000);
  assert.equal(parseWindow("1h"), 3_600_000);
  assert.equal(parseWindow("7d"), 604_800_000);
  for (const bad of ["0h", "1y", "h", "91d", "-1h", "1.5h"]) {
    assert.equal(parseWindow(bad), null, bad);
  }
});
