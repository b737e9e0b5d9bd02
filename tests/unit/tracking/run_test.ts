/** startRun()/withRun() on PGlite and PostgreSQL: a run never stays "running" after its work ends. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import { configureLogging } from "../../../src/log.ts";
import { startRun, withRun } from "../../../src/tracking/run.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { fakeClock, MemoryObjectStore } from "./support.ts";

dbTest("withRun() marks the run finished and returns what the work returned", async (db) => {
  const store = new SqlTrackingStore(db, {
    objects: new MemoryObjectStore(),
    clock: fakeClock().now,
  });
  let id = "";
  const out = await withRun(store, async (run) => {
    id = run.id;
    for (let epoch = 1; epoch <= 3; epoch++) {
      await run.logMetrics({ loss: 1 / epoch, val_ndcg10: epoch / 100 }, epoch);
    }
    await run.logParams({ epochs: 3 });
    return 42;
  }, { experiment: "train", heartbeatMs: 0 });
  assert.equal(out, 42);
  const run = await store.getRun(id);
  assert.equal(run.status, "finished");
  assert.deepEqual(run.metrics, { loss: 1 / 3, val_ndcg10: 0.03 });
  assert.equal((await store.getMetricHistory(id, "loss")).length, 3);
});

dbTest("withRun() marks the run failed with the error as reason and rethrows it", async (db) => {
  const store = new SqlTrackingStore(db, {
    objects: new MemoryObjectStore(),
    clock: fakeClock().now,
  });
  let id = "";
  await assert.rejects(
    withRun(store, async (run) => {
      id = run.id;
      await run.logMetric("loss", 3, 1);
      throw new RangeError("loss diverged at epoch 2");
    }, { experiment: "train", heartbeatMs: 0 }),
    /loss diverged at epoch 2/,
  );
  const run = await store.getRun(id);
  assert.equal(run.status, "failed");
  assert.equal(run.statusReason, "RangeError: loss diverged at epoch 2");
  assert.ok(run.endTime);
  assert.equal((await store.searchRuns({ filter: { status: "running" } })).items.length, 0);
});

dbTest("withRun() respects a run the work ended itself", async (db) => {
  const store = new SqlTrackingStore(db, {
    objects: new MemoryObjectStore(),
    clock: fakeClock().now,
  });
  const id = await withRun(store, async (run) => {
    await run.end("killed", "stopped by user");
    return run.id;
  }, { experiment: "train", heartbeatMs: 0 });
  const run = await store.getRun(id);
  assert.deepEqual([run.status, run.statusReason], ["killed", "stopped by user"]);
});

dbTest("withRun() still returns the result when the reaper ended the run meanwhile", async (db) => {
  const clock = fakeClock();
  const store = new SqlTrackingStore(db, { objects: new MemoryObjectStore(), clock: clock.now });
  const lines: string[] = [];
  configureLogging({ write: (line) => lines.push(line) });
  try {
    const id = await withRun(store, async (run) => {
      clock.advance(3_600_000);
      assert.deepEqual(await store.reapStaleRuns({ maxAgeMs: 60_000 }), [run.id]);
      return run.id;
    }, { experiment: "train", heartbeatMs: 0 });
    assert.equal((await store.getRun(id)).status, "failed");
    assert.match(lines.join("\n"), /run finished after it was marked ended/);
  } finally {
    configureLogging({ write: (line) => console.error(line) });
  }
});

dbTest("startRun() gives a handle whose end() is idempotent", async (db) => {
  const store = new SqlTrackingStore(db, {
    objects: new MemoryObjectStore(),
    clock: fakeClock().now,
  });
  const run = await startRun(store, { experiment: "e", name: "manual" });
  assert.equal(run.ended, false);
  assert.equal((await run.end()).status, "finished");
  assert.equal((await run.end("failed")).status, "finished");
  assert.equal(run.ended, true);
});

// Deno's op sanitizer fails this test if withRun() leaves its heartbeat interval running.
dbTest("withRun() stops its heartbeat timer whether the work succeeds or fails", async (db) => {
  const store = new SqlTrackingStore(db, {
    objects: new MemoryObjectStore(),
    clock: fakeClock().now,
  });
  assert.equal(
    await withRun(store, () => Promise.resolve("ok"), { experiment: "e", heartbeatMs: 10 }),
    "ok",
  );
  await assert.rejects(
    withRun(store, () => Promise.reject(new Error("no")), { experiment: "e", heartbeatMs: 10 }),
    /no/,
  );
  const runs = await store.searchRuns({
    filter: { experiment: "e" },
    orderBy: { field: "start_time", direction: "asc" },
  });
  assert.deepEqual(runs.items.map((r) => r.status).sort(), ["failed", "finished"]);
});
