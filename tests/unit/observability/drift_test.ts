/** The drift check on a database: a healthy batch stays under the threshold, a shifted one crosses it and starts one retrain (through the real engine when scheduled). */
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config.ts";
import { createContext } from "../../../src/context.ts";
import { configureLogging } from "../../../src/log.ts";
import type { Database } from "../../../src/db/types.ts";
import { checkDrift, type RetrainTrigger } from "../../../src/observability/drift/check.ts";
import { driftHistory } from "../../../src/observability/drift/store.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { PipelineEngine } from "../../../src/pipeline/engine.ts";
import { SqlPipelineStore } from "../../../src/pipeline/sql_store.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { createSnapshot } from "../../../src/snapshot/create.ts";
import { contextDriftCheck, type Cron, registerSchedules } from "../../../pipelines/schedules.ts";
import { dbTest } from "../../helpers/db.ts";
import { fakeTimers, standInDag } from "../../helpers/pipeline.ts";
import { fakeClock, seedCatalog } from "../../helpers/serving.ts";
import { MemoryObjectStore } from "../tracking/support.ts";

/** Stores interactions with timestamps after every seeded one. */
async function addInteractions(db: Database, rows: [user: number, movie: number][], ts: number) {
  await db.query(
    `INSERT INTO users (id, source, external_id)
     SELECT DISTINCT u, 'event', u::text FROM unnest($1::int8[]) AS u ON CONFLICT DO NOTHING`,
    [rows.map((r) => r[0])],
  );
  await db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, source)
     SELECT u, m, $3 + o, 'event' FROM unnest($1::int8[], $2::int8[]) WITH ORDINALITY AS x(u, m, o)`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), ts],
  );
}

async function setup(db: Database, env: Record<string, string> = {}) {
  configureLogging({ level: "warn" });
  await seedCatalog(db, { users: 120 });
  const objects = new MemoryObjectStore();
  const clock = fakeClock();
  const ctx = createContext({ config: loadConfig(env), db, objects }, { clock: clock.now });
  await createSnapshot(db, objects, { now: clock.now });
  const calls: Parameters<RetrainTrigger>[0][] = [];
  const trigger: RetrainTrigger = (request) => {
    calls.push(request);
    return Promise.resolve({ runId: `run-${calls.length}` });
  };
  const metrics = createMetrics({ defaults: false });
  const deps = { db, objects, registry: ctx.registry, clock: clock.now, metrics };
  const options = { threshold: 0.2, retrain: true, trigger, minSample: 500 };
  return { ctx, clock, calls, deps, options, metrics };
}

dbTest(
  "a shifted batch of events drives data drift over the threshold and starts one retraining run",
  async (db) => {
    const { clock, calls, deps, options, metrics } = await setup(db);
    // Healthy: half the users' histories again, as new users — the same kind of traffic.
    const mirrored = await db.query<{ user_id: number; movie_id: number }>(
      "SELECT user_id, movie_id FROM interactions WHERE user_id % 2 = 0 ORDER BY user_id, ts",
    );
    await addInteractions(db, mirrored.map((r) => [10_000 + r.user_id, r.movie_id]), 2_000_000);
    const healthy = await checkDrift(deps, options);
    const [calm] = healthy.reports;
    assert.equal(calm.kind, "data");
    assert.equal(calm.sampleSize, mirrored.length);
    for (const [feature, v] of Object.entries(calm.scores)) assert.ok(v < 0.2, `${feature} ${v}`);
    assert.equal(healthy.retrain, null);
    assert.equal(calls.length, 0);

    // Shifted: 250 new users watching 4 of the least-watched comedies each.
    const tail = await db.query<{ movie_id: number }>(
      `SELECT movie_id FROM interactions WHERE movie_id % 3 = 0 GROUP BY movie_id
       ORDER BY count(*), movie_id LIMIT 12`,
    );
    const shifted: [number, number][] = [];
    for (let u = 0; u < 250; u++) {
      for (let j = 0; j < 4; j++) {
        shifted.push([20_000 + u, tail[(u + j * 3) % tail.length].movie_id]);
      }
    }
    clock.advance(3600_000);
    await addInteractions(db, shifted, 3_000_000);
    const drifted = await checkDrift(deps, options);
    const [report] = drifted.reports;
    for (const feature of ["genre_mix", "popularity_bucket", "user_activity"]) {
      assert.ok(report.scores[feature] > 0.2, `${feature} ${report.scores[feature]}`);
    }
    assert.equal(calls.length, 1);
    assert.match(calls[0].reason, /genre_mix PSI \d\.\d{3} > 0\.2/);
    assert.equal(calls[0].reportId, report.id);
    assert.deepEqual(drifted.retrain, { runId: "run-1", reportId: report.id });
    const { values } = await metrics.driftPsi.get();
    assert.equal(
      values.find((v) => v.labels.feature === "genre_mix")?.value,
      report.scores.genre_mix,
    );

    // The same inputs again (a retried task): the report is updated, no second run starts.
    clock.advance(60_000);
    const again = await checkDrift(deps, options);
    assert.equal(again.reports[0].id, report.id);
    assert.equal(calls.length, 1);
    assert.match(JSON.stringify(again.retrain), /already started one/);
    const history = await driftHistory(db, { limit: 10 });
    assert.deepEqual(history.map((r) => r.retrainRunId), [null, "run-1"]);
  },
);

dbTest(
  "with REELRANK_DRIFT_RETRAIN on, the scheduled check on shifted events runs the DAG through the engine with trigger drift",
  async (db) => {
    const { ctx, clock, metrics } = await setup(db, { REELRANK_DRIFT_RETRAIN: "true" });
    const worked: string[] = [];
    const engine = new PipelineEngine<unknown>({
      store: new SqlPipelineStore(db, { clock: clock.now }),
      dags: [standInDag((task) => {
        worked.push(task.runId);
        return Promise.resolve({ trained: true });
      })],
      deps: ctx,
      metrics,
      clock: clock.now,
      timers: fakeTimers().timers,
    });
    await engine.start();
    const handlers = new Map<string, () => Promise<void>>();
    const cron: Cron = (name, _schedule, _options, handler) => void handlers.set(name, handler);
    registerSchedules(engine, {
      schedule: "0 3 * * *",
      cron,
      clock: clock.now,
      driftCheck: contextDriftCheck(ctx),
    });
    try {
      // 400 new users who only watch three comedies: over the check's default 1,000 interactions.
      const shifted: [number, number][] = [];
      for (let u = 0; u < 400; u++) for (let j = 1; j <= 3; j++) shifted.push([60_000 + u, j * 3]);
      await addInteractions(db, shifted, 2_000_000);
      clock.advance(3600_000);
      await handlers.get("reelrank drift")!();
      await engine.idle();

      const { items } = await engine.listRuns();
      assert.equal(items.length, 1);
      const [run] = items;
      assert.equal(run.dag, "recommend");
      assert.equal(run.trigger, "drift");
      assert.equal(run.status, "success", run.statusReason ?? "");
      assert.equal(run.logicalDate.getTime(), clock.now().getTime());
      assert.deepEqual(worked, [run.id]);
      assert.ok(run.tasks.every((t) => t.status === "success"));
      const [report] = await driftHistory(db, { limit: 1 });
      assert.equal(report.kind, "data");
      assert.ok(report.scores.genre_mix > 0.2, `genre_mix ${report.scores.genre_mix}`);
      assert.equal(report.retrainRunId, run.id);
      const runs = (await metrics.pipelineRuns.get()).values;
      assert.deepEqual(
        runs.map((v) => [v.labels.trigger, v.labels.status, v.value]),
        [["drift", "success", 1]],
      );
    } finally {
      await engine.close();
    }
  },
);

dbTest(
  "drift over the threshold starts nothing while retraining is off or within the cooldown",
  async (db) => {
    const { clock, calls, deps, options } = await setup(db);
    const shifted: [number, number][] = [];
    for (let u = 0; u < 200; u++) for (let j = 1; j <= 3; j++) shifted.push([30_000 + u, j * 3]);
    await addInteractions(db, shifted, 2_000_000);
    const off = await checkDrift(deps, { ...options, retrain: false });
    assert.deepEqual(off.retrain, { skipped: "REELRANK_DRIFT_RETRAIN is off" });
    await addInteractions(db, [[30_000, 99]], 2_500_000);
    const first = await checkDrift(deps, options);
    assert.equal(calls.length, 1);
    assert.equal(first.retrain && "runId" in first.retrain, true);
    clock.advance(3600_000);
    await addInteractions(db, [[30_001, 99]], 2_600_000);
    const soon = await checkDrift(deps, options);
    assert.match(JSON.stringify(soon.retrain), /within the cooldown/);
    clock.advance(6 * 3600_000);
    await addInteractions(db, [[30_002, 99]], 2_700_000);
    await checkDrift(deps, options);
    assert.equal(calls.length, 2);
  },
);

dbTest(
  "a trigger that throws is recorded on the report and does not fail the check",
  async (db) => {
    const { deps, options } = await setup(db);
    const shifted: [number, number][] = [];
    for (let u = 0; u < 200; u++) for (let j = 1; j <= 3; j++) shifted.push([40_000 + u, j * 3]);
    await addInteractions(db, shifted, 2_000_000);
    const outcome = await checkDrift(deps, {
      ...options,
      trigger: () => Promise.reject(new Error("a run of recommend is already active")),
    });
    assert.deepEqual(outcome.retrain, {
      skipped: "the trigger failed: a run of recommend is already active",
    });
    const [stored] = await driftHistory(db, { limit: 1 });
    assert.equal(stored.retrainError, "a run of recommend is already active");
  },
);

dbTest(
  "too few recent interactions and fewer than two batches are reported as skipped, not scored",
  async (db) => {
    const { deps, options } = await setup(db);
    await addInteractions(db, [[50_000, 3]], 2_000_000);
    const outcome = await checkDrift(deps, options);
    assert.deepEqual(outcome.reports, []);
    assert.match(
      outcome.skipped[0].reason,
      /^1 interactions since snapshot .*; drift needs at least 500$/,
    );
    assert.deepEqual(outcome.skipped[1], {
      kind: "recommendations",
      reason: "fewer than two batches",
    });
  },
);

dbTest("recommendation drift compares the newest batch with the previous one", async (db) => {
  const { deps, options, metrics } = await setup(db);
  const batch = async (version: number, movies: number[], at: string) => {
    for (const user of [1, 2]) {
      await db.query(
        `INSERT INTO batch_recommendations (model, version, user_id, rank, movie_id, score)
         SELECT $1, $2, $3, r, m, 1 FROM unnest($4::int8[]) WITH ORDINALITY AS x(m, r)`,
        [MODEL_NAME, version, user, movies],
      );
    }
    await db.query(
      `INSERT INTO batch_recommendation_runs (model, version, k, users, created_at)
       VALUES ($1, $2, 10, 2, $3)`,
      [MODEL_NAME, version, at],
    );
  };
  await batch(1, [1, 2, 4, 5, 7, 8, 10, 11, 13, 14], "2026-01-01T00:00:00Z"); // all Drama
  await batch(2, [1, 2, 4, 5, 7, 3, 6, 9, 12, 15], "2026-01-02T00:00:00Z"); // half Comedy
  const outcome = await checkDrift(deps, { ...options, kinds: ["recommendations"] });
  const [r] = outcome.reports;
  assert.equal(r.overlapAt10, 0.5);
  assert.equal(r.reference, "version 1");
  assert.ok(r.scores.recommended_genres > 0.2);
  assert.deepEqual(r.details.recommended_genres.bins, ["Comedy", "Drama"]);
  assert.deepEqual(r.details.recommended_genres.recent, [0.5, 0.5]);
  assert.equal(outcome.retrain, null, "recommendation drift never retrains");
  assert.equal((await metrics.recommendationOverlap.get()).values[0].value, 0.5);
});
