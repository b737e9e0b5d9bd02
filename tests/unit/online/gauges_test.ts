/** The online gauges on /metrics: each figure of the last hour with its 95 % interval, as onlineMetrics() computes them. */
import assert from "node:assert/strict";
import { GAUGE_WINDOW_MS, refreshOnlineGauges } from "../../../src/online/gauges.ts";
import { type Impression, insertImpressions } from "../../../src/online/impressions.ts";
import { onlineMetrics } from "../../../src/online/online_metrics.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";

const now = new Date("2026-01-01T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

/** `n` impressions of 10 movies each, shown `minutes` ago. */
function shown(
  prefix: string,
  n: number,
  o: Pick<Impression, "version" | "arm" | "strategy"> & { minutes?: number },
): Impression[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    model: MODEL_NAME,
    userId: i + 1,
    visitorId: null,
    version: o.version,
    arm: o.arm,
    strategy: o.strategy,
    movieIds: Array.from({ length: 10 }, (_, p) => 100 + p),
    shownAt: minutesAgo(o.minutes ?? 10),
  }));
}

/** Samples of a gauge as `labels → value`. */
async function samples(gauge: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  return new Map((await gauge.get()).values.map((v) => [JSON.stringify(v.labels), v.value]));
}

dbTest(
  "the online gauges export each figure and its interval bounds as onlineMetrics() gives them, for model answers only",
  async (db) => {
    const prod = shown("p", 60, { version: 1, arm: "production", strategy: "model" });
    const staging = shown("s", 9, { version: 2, arm: "staging", strategy: "model" });
    const popular = shown("pop", 5, { version: null, arm: "production", strategy: "popularity" });
    const old = shown("old", 5, { version: 1, arm: "production", strategy: "model", minutes: 90 });
    await insertImpressions(db, [...prod, ...staging, ...popular, ...old]);
    // Production: every 3rd clicked at position (i % 4) + 1, every 5th watched at (i % 7) + 1;
    // staging: 2 watched, none clicked (a CTR of 0 still has an upper bound above 0).
    const outcomes: [string, string, number][] = [
      ...prod.flatMap((r, i) => [
        ...(i % 3 === 0 ? [[r.id, "click", (i % 4) + 1] as [string, string, number]] : []),
        ...(i % 5 === 0 ? [[r.id, "watch", (i % 7) + 1] as [string, string, number]] : []),
      ]),
      [staging[0].id, "watch", 2],
      [staging[1].id, "watch", 4],
      [old[0].id, "watch", 1],
    ];
    await db.query(
      `INSERT INTO impression_outcomes (impression_id, type, position, movie_id, event_id, at)
       SELECT id, t, p, 100, 'e-' || id || t, $4 FROM unnest($1::text[], $2::text[], $3::int4[]) AS x(id, t, p)`,
      [
        outcomes.map((o) => o[0]),
        outcomes.map((o) => o[1]),
        outcomes.map((o) => o[2]),
        minutesAgo(5).toISOString(),
      ],
    );
    const metrics = createMetrics({ defaults: false });
    await refreshOnlineGauges(metrics, { db, clock: () => now });
    const expected = (await onlineMetrics(db, {
      model: MODEL_NAME,
      since: new Date(now.getTime() - GAUGE_WINDOW_MS),
      until: new Date(now.getTime() + 1),
    })).filter((r) => r.strategy === "model");
    assert.deepEqual(expected.map((r) => [r.version, r.arm, r.impressions]), [
      [2, "staging", 9],
      [1, "production", 60],
    ]);
    const figures = [
      ["ctr", metrics.onlineCtr, metrics.onlineCtrBound],
      ["watchRate", metrics.onlineWatchRate, metrics.onlineWatchRateBound],
      [
        "reciprocalPosition",
        metrics.onlineReciprocalPosition,
        metrics.onlineReciprocalPositionBound,
      ],
    ] as const;
    for (const [key, valueGauge, boundGauge] of figures) {
      const values = await samples(valueGauge);
      const bounds = await samples(boundGauge);
      for (const r of expected) {
        const labels = { version: String(r.version), arm: r.arm };
        const e = r[key];
        const what = `${key} v${r.version} ${r.arm}`;
        assert.equal(values.get(JSON.stringify(labels)), e.value ?? undefined, what);
        assert.equal(bounds.get(JSON.stringify({ ...labels, bound: "lower" })), e.low, what);
        assert.equal(bounds.get(JSON.stringify({ ...labels, bound: "upper" })), e.high, what);
        assert.ok(e.low! <= e.value! && e.value! <= e.high! && e.low! < e.high!, what);
      }
      assert.equal(bounds.size, 2 * expected.length, `${key}: two bounds per (version, arm)`);
    }
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /^reelrank_online_watch_rate_bound_ratio\{version="1",arm="production",bound="upper"\} 0\.\d+$/m,
    );
    // Popularity answers have no version: no series of theirs, bounds included.
    assert.doesNotMatch(text, /version="null"|strategy=/);

    // A later scrape with nothing in the window clears the figures and their bounds alike.
    await refreshOnlineGauges(metrics, {
      db,
      clock: () => new Date(now.getTime() + 3 * 3_600_000),
    });
    for (const [, valueGauge, boundGauge] of figures) {
      assert.equal((await samples(valueGauge)).size, 0);
      assert.equal((await samples(boundGauge)).size, 0);
    }
  },
);
