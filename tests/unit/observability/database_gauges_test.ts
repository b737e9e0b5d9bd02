/** The stored-state gauges: what a CLI process stored reaches /metrics through the server's scrape-time read, at most every 15 s. */
import assert from "node:assert/strict";
import { configureLogging } from "../../../src/log.ts";
import { attachDatabaseGauges } from "../../../src/observability/database_gauges.ts";
import { saveDriftReport } from "../../../src/observability/drift/store.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { createSnapshot } from "../../../src/snapshot/create.ts";
import { dbTest } from "../../helpers/db.ts";
import { fakeClock, seedCatalog } from "../../helpers/serving.ts";
import { MemoryObjectStore } from "../tracking/support.ts";

const sample = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);

dbTest(
  "a scrape reads stored rows, the last ingest, the newest snapshot and drift, then waits 15 s",
  async (db) => {
    configureLogging({ level: "warn" });
    await seedCatalog(db);
    await db.query(
      `INSERT INTO ingest_runs (source, status, finished_at) VALUES
       ('movielens', 'succeeded', '2026-01-01T00:00:00Z'), ('tmdb', 'failed', '2026-01-02T00:00:00Z')`,
    );
    const objects = new MemoryObjectStore();
    const snap = await createSnapshot(db, objects, { now: () => new Date("2026-01-03T00:00:00Z") });
    const clock = fakeClock();
    const metrics = createMetrics({ defaults: false });
    attachDatabaseGauges(metrics, { db, objects, clock: clock.now });

    const first = await metrics.registry.metrics();
    assert.equal(sample(first, 'reelrank_data_rows{table="interactions"}'), 840);
    assert.equal(sample(first, 'reelrank_data_rows{table="movies"}'), 180);
    assert.equal(
      sample(first, 'reelrank_ingest_last_success_timestamp_seconds{source="movielens"}'),
      Date.UTC(2026, 0, 1) / 1000,
    );
    assert.doesNotMatch(first, /source="tmdb"/, "a failed ingest is not a success");
    assert.equal(sample(first, 'reelrank_snapshot_rows{table="interactions"}'), 840);
    const part = [...objects.objects].find(([k]) => k.startsWith("snapshots/parts/interactions-"))!;
    assert.equal(
      sample(first, 'reelrank_snapshot_bytes{table="interactions"}'),
      part[1].bytes.length,
    );
    assert.equal(
      sample(first, "reelrank_snapshot_created_timestamp_seconds"),
      Date.UTC(2026, 0, 3) / 1000,
    );
    assert.equal(snap.rowCounts.interactions, 840);
    assert.doesNotMatch(first, /^reelrank_drift_psi\{/m);

    // Another process stores a drift report: seen at the first scrape 15 s later, not before.
    await saveDriftReport(db, {
      kind: "data",
      key: "k",
      reference: snap.id,
      subject: "s",
      sampleSize: 1000,
      threshold: 0.2,
      scores: { genre_mix: 0.42 },
      details: {},
      checkedAt: new Date("2026-01-04T00:00:00Z"),
    });
    clock.advance(10_000);
    assert.doesNotMatch(await metrics.registry.metrics(), /^reelrank_drift_psi\{/m);
    clock.advance(5_000);
    const later = await metrics.registry.metrics();
    assert.equal(sample(later, 'reelrank_drift_psi{feature="genre_mix"}'), 0.42);
    assert.equal(
      sample(later, 'reelrank_drift_last_check_timestamp_seconds{kind="data"}'),
      Date.UTC(2026, 0, 4) / 1000,
    );
  },
);

dbTest("a failed read keeps the previous values and /metrics still answers", async (db) => {
  const lines: string[] = [];
  configureLogging({ level: "warn", write: (l) => lines.push(l) });
  try {
    await seedCatalog(db);
    const clock = fakeClock();
    const metrics = createMetrics({ defaults: false });
    attachDatabaseGauges(metrics, { db, objects: new MemoryObjectStore(), clock: clock.now });
    assert.equal(
      sample(await metrics.registry.metrics(), 'reelrank_data_rows{table="movies"}'),
      180,
    );
    await db.exec("DROP TABLE rejected_rows");
    clock.advance(60_000);
    assert.equal(
      sample(await metrics.registry.metrics(), 'reelrank_data_rows{table="movies"}'),
      180,
    );
    assert.match(lines.join("\n"), /could not read the stored-state gauges/);
  } finally {
    configureLogging({ write: (l) => console.error(l) });
  }
});

dbTest("a read slower than the timeout answers the scrape with the previous values", async (db) => {
  configureLogging({ level: "warn" });
  await seedCatalog(db);
  const clock = fakeClock();
  const metrics = createMetrics({ defaults: false });
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => release = r);
  let stall = false;
  const slow = {
    ...db,
    query: async <T>(text: string, params?: readonly unknown[]) => {
      if (stall) await gate;
      return await db.query<T>(text, params);
    },
  } as typeof db;
  attachDatabaseGauges(metrics, { db: slow, objects: new MemoryObjectStore(), clock: clock.now }, {
    timeoutMs: 50,
  });
  assert.equal(sample(await metrics.registry.metrics(), 'reelrank_data_rows{table="movies"}'), 180);
  await db.query("DELETE FROM movies WHERE id > 100");
  stall = true;
  clock.advance(60_000);
  assert.equal(sample(await metrics.registry.metrics(), 'reelrank_data_rows{table="movies"}'), 180);
  stall = false;
  release();
  // The stalled read finishes in the background; a later scrape starts a fresh one.
  let movies = 180;
  for (let i = 0; i < 50 && movies !== 100; i++) {
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(60_000);
    movies = sample(await metrics.registry.metrics(), 'reelrank_data_rows{table="movies"}');
  }
  assert.equal(movies, 100);
});
