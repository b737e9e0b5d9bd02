/** SqlTrackingStore on PGlite and PostgreSQL: run lifecycle, params, tags, metric history, artifacts, reaping. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import type { Database } from "../../../src/db/types.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { fakeClock, MemoryObjectStore } from "./support.ts";

function setup(db: Database) {
  const clock = fakeClock();
  const objects = new MemoryObjectStore();
  return { clock, objects, store: new SqlTrackingStore(db, { objects, clock: clock.now }) };
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ReelrankError, `expected a ReelrankError, got ${err}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

dbTest(
  "a run goes from running to finished with start and end times from the clock",
  async (db) => {
    const { store, clock } = setup(db);
    const run = await store.createRun({
      experiment: "train",
      name: "mlp",
      codeVersion: "abc123",
      snapshotId: "snap-1",
      params: { lr: 0.001, epochs: 10, bn: true },
      tags: { trigger: "manual" },
    });
    assert.equal(run.status, "running");
    assert.equal(run.experimentName, "train");
    assert.deepEqual(run.params, { lr: "0.001", epochs: "10", bn: "true" });
    assert.deepEqual(run.tags, { trigger: "manual" });
    assert.equal(run.codeVersion, "abc123");
    assert.equal(run.snapshotId, "snap-1");
    assert.equal(run.startTime.toISOString(), "2026-01-01T00:00:00.000Z");
    assert.equal(run.endTime, null);
    clock.advance(5_000);
    const ended = await store.endRun(run.id, { status: "finished" });
    assert.equal(ended.status, "finished");
    assert.equal(ended.endTime?.toISOString(), "2026-01-01T00:00:05.000Z");
    await rejectsWith(
      store.endRun(run.id, { status: "failed" }),
      "CONFLICT",
      /already ended as finished/,
    );
  },
);

dbTest("ensureExperiment() returns the same experiment for the same name", async (db) => {
  const { store } = setup(db);
  const a = await store.ensureExperiment("exp");
  const b = await store.ensureExperiment("exp");
  assert.equal(a.id, b.id);
  assert.deepEqual((await store.listExperiments()).map((e) => e.name), ["exp"]);
});

dbTest("a duplicate run id is a CONFLICT and an unknown run is NOT_FOUND", async (db) => {
  const { store } = setup(db);
  await store.createRun({ experiment: "e", id: "run-1" });
  await rejectsWith(store.createRun({ experiment: "e", id: "run-1" }), "CONFLICT", /run-1/);
  await rejectsWith(store.getRun("nope"), "NOT_FOUND", /run "nope" does not exist/);
  await rejectsWith(store.logMetrics("nope", [{ key: "loss", value: 1 }]), "NOT_FOUND", /nope/);
  await rejectsWith(
    store.createRun({ experiment: "e", id: "../x" }),
    "INVALID_PARAMETER",
    /run id/,
  );
});

dbTest(
  "params are immutable: the same value again is fine, another value is a CONFLICT",
  async (db) => {
    const { store } = setup(db);
    const run = await store.createRun({ experiment: "e", params: { lr: 0.1 } });
    await store.logParams(run.id, { lr: "0.1", hidden: 64 });
    await rejectsWith(store.logParams(run.id, { lr: 0.2 }), "CONFLICT", /"lr".*"0.1".*"0.2"/);
    assert.deepEqual((await store.getRun(run.id)).params, { lr: "0.1", hidden: "64" });
  },
);

dbTest("tags can be replaced", async (db) => {
  const { store } = setup(db);
  const run = await store.createRun({ experiment: "e", tags: { stage: "a" } });
  await store.setTags(run.id, { stage: "b", owner: "ci" });
  assert.deepEqual((await store.getRun(run.id)).tags, { stage: "b", owner: "ci" });
});

dbTest(
  "metric history keeps every step in order and the run shows the latest value",
  async (db) => {
    const { store, clock } = setup(db);
    const run = await store.createRun({ experiment: "e" });
    const points = [];
    for (let epoch = 0; epoch < 50; epoch++) {
      points.push({ key: "loss", value: 5 - epoch * 0.1, step: epoch });
      points.push({ key: "val_ndcg10", value: epoch / 1000, step: epoch });
    }
    await store.logMetrics(run.id, points.reverse());
    clock.advance(1000);
    // A retried epoch replaces its value instead of adding a second one.
    await store.logMetrics(run.id, [{ key: "loss", value: 0.25, step: 49 }]);
    const loss = await store.getMetricHistory(run.id, "loss");
    assert.equal(loss.length, 50);
    assert.deepEqual(loss.slice(0, 2).map((p) => [p.step, p.value]), [[0, 5], [1, 4.9]]);
    assert.equal(loss[49].value, 0.25);
    assert.equal(loss[49].timestamp.toISOString(), "2026-01-01T00:00:01.000Z");
    const got = await store.getRun(run.id);
    assert.deepEqual(got.metrics, { loss: 0.25, val_ndcg10: 0.049 });
  },
);

dbTest("a diverged loss (NaN, Infinity) is stored as such", async (db) => {
  const { store } = setup(db);
  const run = await store.createRun({ experiment: "e" });
  await store.logMetrics(run.id, [{ key: "loss", value: NaN, step: 0 }, {
    key: "loss",
    value: Infinity,
    step: 1,
  }]);
  const h = await store.getMetricHistory(run.id, "loss");
  assert.ok(Number.isNaN(h[0].value));
  assert.equal(h[1].value, Infinity);
});

dbTest(
  "an artifact is stored under runs/<id>/ with its sha256 and refused once altered",
  async (db) => {
    const { store, objects } = setup(db);
    const run = await store.createRun({ experiment: "e", id: "r1" });
    const bytes = new TextEncoder().encode("weights");
    const a = await store.logArtifact(run.id, "model/weights.bin", bytes);
    assert.equal(a.key, "runs/r1/model/weights.bin");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    assert.equal(a.sha256, Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
    assert.deepEqual(await store.readArtifact(run.id, "model/weights.bin"), bytes);
    assert.deepEqual((await store.listArtifacts(run.id)).map((x) => x.path), ["model/weights.bin"]);
    objects.objects.get(a.key)!.bytes[0] ^= 1;
    await rejectsWith(
      store.readArtifact(run.id, "model/weights.bin"),
      "CORRUPT",
      /altered: expected 7 bytes with sha256/,
    );
    await rejectsWith(
      store.logArtifact(run.id, "../escape", bytes),
      "INVALID_PARAMETER",
      /"\.\.\/escape"/,
    );
  },
);

dbTest("reapStaleRuns() marks failed only running runs whose heartbeat is too old", async (db) => {
  const { store, clock } = setup(db);
  const dead = await store.createRun({ experiment: "e", id: "dead" });
  const alive = await store.createRun({ experiment: "e", id: "alive" });
  const done = await store.createRun({ experiment: "e", id: "done" });
  await store.endRun(done.id, { status: "finished" });
  clock.advance(10 * 60_000);
  assert.equal(await store.heartbeat(alive.id), "running");
  clock.advance(60_000);
  const reaped = await store.reapStaleRuns({ now: clock.now(), maxAgeMs: 5 * 60_000 });
  assert.deepEqual(reaped, [dead.id]);
  const d = await store.getRun(dead.id);
  assert.equal(d.status, "failed");
  assert.match(d.statusReason ?? "", /no heartbeat for more than 300000 ms/);
  assert.equal(d.endTime?.toISOString(), "2026-01-01T00:11:00.000Z");
  assert.equal((await store.getRun(alive.id)).status, "running");
  assert.equal((await store.getRun(done.id)).status, "finished");
  // The reaped process, if it was alive after all, learns it from its next heartbeat.
  assert.equal(await store.heartbeat(dead.id), "failed");
  assert.deepEqual(await store.reapStaleRuns({ now: clock.now(), maxAgeMs: 5 * 60_000 }), []);
});

dbTest(
  "a nested run names its parent, searches find a parent's children or only top-level runs, and an unknown parent is NOT_FOUND",
  async (db) => {
    const { store, clock } = setup(db);
    const parent = await store.createRun({ experiment: "families", name: "comparison" });
    clock.advance(1000);
    const a = await store.createRun({
      experiment: "families",
      name: "ease",
      parentRunId: parent.id,
    });
    clock.advance(1000);
    const b = await store.createRun({
      experiment: "families",
      name: "mlp",
      parentRunId: parent.id,
    });
    clock.advance(1000);
    const other = await store.createRun({ experiment: "families", name: "alone" });
    assert.equal(a.parentRunId, parent.id);
    assert.equal(parent.parentRunId, null);
    assert.equal((await store.getRun(b.id)).parentRunId, parent.id);
    const children = await store.searchRuns({
      filter: { parentRunId: parent.id },
      orderBy: { field: "start_time", direction: "asc" },
    });
    assert.deepEqual(children.items.map((r) => r.name), ["ease", "mlp"]);
    const top = await store.searchRuns({ filter: { parentRunId: null } });
    assert.deepEqual(top.items.map((r) => r.id), [other.id, parent.id]);
    // Pages of children keep their filter.
    const first = await store.searchRuns({ filter: { parentRunId: parent.id }, limit: 1 });
    const second = await store.searchRuns({
      filter: { parentRunId: parent.id },
      limit: 1,
      pageToken: first.nextPageToken,
    });
    assert.deepEqual(
      [...first.items, ...second.items].map((r) => r.id).sort(),
      [a.id, b.id].sort(),
    );
    await rejectsWith(
      store.createRun({ experiment: "families", parentRunId: "nope" }),
      "NOT_FOUND",
      /parent run "nope" does not exist/,
    );
  },
);
