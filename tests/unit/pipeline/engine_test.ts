import assert from "node:assert/strict";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { defineDag, type TaskSpec } from "../../../src/pipeline/dag.ts";
import { triggerRun } from "../../../src/pipeline/service.ts";
import { dbTest } from "../../helpers/db.ts";
import { deferred, metricValue, testEngine } from "./support.ts";

type Deps = undefined;
const spec = (id: string, upstream: string[], run: TaskSpec<Deps>["run"]) => ({
  id,
  description: id,
  upstream,
  run,
});

const isConflict = (re: RegExp) => (err: Error & { code?: string }) =>
  err.code === "CONFLICT" && re.test(err.message);

dbTest(
  "a DAG has one active run at a time; a trigger meanwhile is refused naming it",
  async (db) => {
    const release = deferred();
    const started = deferred();
    const blocking = defineDag<Deps>({
      id: "long",
      description: "",
      params: {},
      tasks: [spec("wait", [], async () => (started.resolve(), await release.promise, "ok"))],
    });
    const other = defineDag<Deps>({
      id: "other",
      description: "",
      params: {},
      tasks: [spec("t", [], () => Promise.resolve(1))],
    });
    const { engine, store, clock } = await testEngine(db, [blocking, other]);
    const first = await triggerRun({ pipeline: engine }, { dag: "long", trigger: "api" });
    await started.promise;
    await assert.rejects(
      engine.trigger({ dag: "long", trigger: "schedule" }),
      isConflict(new RegExp(`DAG "long" already has an active run \\(${first}, running since`)),
    );
    // Another DAG is not held up.
    assert.equal((await engine.run({ dag: "other", trigger: "manual" })).status, "success");
    release.resolve();
    assert.equal((await engine.wait(first)).status, "success");
    clock.advance(1000);
    const second = await engine.run({ dag: "long", trigger: "manual" });
    assert.equal(second.status, "success");
    const runs = (await store.listRuns({ dag: "long" })).items;
    assert.deepEqual(runs.map((r) => [r.id, r.trigger]), [[second.id, "manual"], [first, "api"]]);
  },
);

dbTest("a run whose heartbeat stopped is marked failed before the next one starts", async (db) => {
  const dag = defineDag<Deps>({
    id: "beat",
    description: "",
    params: {},
    tasks: [spec("t", [], () => Promise.resolve("fresh"))],
  });
  const { engine, store, clock } = await testEngine(db, [dag], { staleAfterMs: 60_000 });
  // A run left active by a process that died: its heartbeat stops at creation time.
  const dead = await store.createRun({
    id: "beat-dead",
    dag: "beat",
    trigger: "schedule",
    logicalDate: clock.now(),
    params: {},
    taskIds: ["t"],
    host: "gone",
    pid: 4242,
  });
  await store.markRunning(dead.id);
  await store.startAttempt(dead.id, "t");
  clock.advance(30_000);
  await assert.rejects(engine.trigger({ dag: "beat", trigger: "manual" }), isConflict(/beat-dead/));
  clock.advance(31_000);
  const run = await engine.run({ dag: "beat", trigger: "manual" });
  assert.equal(run.status, "success");
  const reaped = await store.getRun(dead.id);
  assert.equal(reaped.status, "failed");
  assert.match(reaped.statusReason!, /no heartbeat for more than 60 s/);
  const [attempt] = await store.listAttempts(dead.id);
  assert.equal(attempt.status, "failed");
  assert.equal(attempt.durationSeconds, 61);
  assert.equal(reaped.tasks[0].status, "failed");
});

dbTest(
  "an exclusive engine (PGlite's folder lock) marks every active run failed at start",
  async (db) => {
    const dag = defineDag<Deps>({
      id: "solo",
      description: "",
      params: {},
      tasks: [spec("t", [], () => Promise.resolve(1))],
    });
    const first = await testEngine(db, [dag]);
    const left = await first.store.createRun({
      id: "solo-left",
      dag: "solo",
      trigger: "manual",
      logicalDate: first.clock.now(),
      params: {},
      taskIds: ["t"],
      host: "h",
      pid: 1,
    });
    const second = await testEngine(db, [dag], { exclusive: true });
    const run = await second.store.getRun(left.id);
    assert.equal(run.status, "failed");
    assert.match(run.statusReason!, /stopped without finishing it/);
  },
);

dbTest(
  "--from re-runs a failed run from a task, reusing the results upstream of it",
  async (db) => {
    let broken = true;
    const calls: string[] = [];
    const record = (id: string, upstream: string[], f: (up: Record<string, unknown>) => unknown) =>
      spec(id, upstream, (ctx, up) => {
        calls.push(`${id}@${ctx.runId}`);
        return Promise.resolve(f(up));
      });
    const dag = defineDag<Deps>({
      id: "chain",
      description: "",
      params: { k: { type: "int", default: 5, min: 1, max: 9, help: "k", task: "d" } },
      tasks: [
        record("a", [], () => ({ key: "a.bin" })),
        record("b", ["a"], (up) => ({ from: up.a })),
        record("c", ["b"], (up) => {
          if (broken) throw new Error("c broke");
          return { saw: up.b };
        }),
        spec("d", ["c"], (ctx, up) => Promise.resolve({ k: ctx.params.k, c: up.c })),
      ],
    });
    const { engine, store } = await testEngine(db, [dag]);
    const first = await engine.run({ dag: "chain", trigger: "manual", params: { k: "3" } });
    assert.equal(first.status, "failed");
    broken = false;
    const again = await engine.run({
      dag: "chain",
      trigger: "manual",
      from: { runId: first.id, taskId: "c" },
    });
    assert.equal(again.status, "success");
    assert.equal(again.fromRunId, first.id);
    assert.equal(again.fromTask, "c");
    assert.deepEqual(again.logicalDate, first.logicalDate);
    assert.deepEqual(again.tasks.map((t) => [t.taskId, t.status]), [
      ["a", "reused"],
      ["b", "reused"],
      ["c", "success"],
      ["d", "success"],
    ]);
    // a and b ran once (in the first run); c got b's result from it; the params were kept.
    assert.deepEqual(calls.filter((c) => c.startsWith("a") || c.startsWith("b")), [
      `a@${first.id}`,
      `b@${first.id}`,
    ]);
    assert.deepEqual(again.tasks[3].result, { k: 3, c: { saw: { from: { key: "a.bin" } } } });
    assert.deepEqual((await store.listAttempts(again.id)).map((a) => a.taskId), ["c", "d"]);
    await assert.rejects(
      engine.trigger({ dag: "chain", trigger: "manual", from: { runId: first.id, taskId: "zz" } }),
      /DAG "chain" has no task "zz"; tasks are a, b, c, d/,
    );
  },
);

dbTest("bad parameters and unknown DAGs are refused before a run is recorded", async (db) => {
  const dag = defineDag<Deps>({
    id: "p",
    description: "",
    params: {
      k: { type: "int", default: 5, min: 1, max: 9, help: "k", task: "t" },
      mode: { type: "enum", values: ["a", "b"], default: "a", help: "m", task: "t" },
    },
    tasks: [spec("t", [], (ctx) => Promise.resolve(ctx.params))],
  });
  const { engine, store } = await testEngine(db, [dag]);
  await assert.rejects(
    engine.trigger({ dag: "p", trigger: "api", params: { k: 10 } }),
    /parameter k must be an integer in 1\.\.9, got 10/,
  );
  await assert.rejects(
    engine.trigger({ dag: "p", trigger: "api", params: { x: 1 } }),
    /unknown parameter "x"; parameters are k, mode/,
  );
  await assert.rejects(
    engine.trigger({ dag: "nope", trigger: "api" }),
    /unknown DAG "nope"; DAGs are p/,
  );
  assert.equal((await store.listRuns()).items.length, 0);
  const run = await engine.run({ dag: "p", trigger: "api", params: { mode: "b" } });
  assert.deepEqual(run.params, { k: 5, mode: "b" });
  assert.deepEqual(run.tasks[0].result, { k: 5, mode: "b" });
});

dbTest("a new engine reads each DAG's last success time from the database", async (db) => {
  const dag = defineDag<Deps>({
    id: "gauge",
    description: "",
    params: {},
    tasks: [spec("t", [], () => Promise.resolve(1))],
  });
  const first = await testEngine(db, [dag]);
  const run = await first.engine.run({ dag: "gauge", trigger: "schedule" });
  const metrics = createMetrics();
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_last_success_timestamp_seconds", {
      dag: "gauge",
    }),
    undefined,
  );
  await testEngine(db, [dag], { metrics });
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_last_success_timestamp_seconds", {
      dag: "gauge",
    }),
    run.endedAt!.getTime() / 1000,
  );
});

dbTest("closing the engine stops its runs: they end failed and say why", async (db) => {
  const started = deferred();
  const dag = defineDag<Deps>({
    id: "stop",
    description: "",
    params: {},
    tasks: [
      spec("t", [], (ctx) =>
        new Promise((_, reject) => {
          started.resolve();
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        })),
      spec("u", ["t"], () => Promise.resolve(1)),
    ],
  });
  const { engine, store } = await testEngine(db, [dag]);
  const id = await engine.trigger({ dag: "stop", trigger: "manual" });
  await started.promise;
  await engine.close("stopped by SIGTERM");
  const run = await store.getRun(id);
  assert.equal(run.status, "failed");
  assert.equal(run.statusReason, 'task "t" failed: stopped by SIGTERM');
  assert.deepEqual((await store.listAttempts(id)).map((a) => [a.status, a.permanent]), [[
    "failed",
    true,
  ]]);
});

dbTest(
  "reap() spares the runs its own engine executes, however old their heartbeat; another engine's reaper does not",
  async (db) => {
    const release = deferred();
    const started = deferred();
    const dag = defineDag<Deps>({
      id: "busy",
      description: "",
      params: {},
      tasks: [spec("t", [], async () => (started.resolve(), await release.promise, "done"))],
    });
    const { engine, store, clock } = await testEngine(db, [dag], { staleAfterMs: 60_000 });
    const id = await engine.trigger({ dag: "busy", trigger: "manual" });
    await started.promise;
    // The main thread held for longer than the threshold: no heartbeat was written meanwhile.
    clock.advance(5 * 60_000);
    assert.deepEqual(await engine.reap(), []);
    await assert.rejects(
      engine.trigger({ dag: "busy", trigger: "schedule" }),
      isConflict(new RegExp(`already has an active run \\(${id}`)),
    );
    assert.equal((await store.getRun(id)).status, "running");
    release.resolve();
    assert.equal((await engine.wait(id)).status, "success");

    // The same silence seen by an engine that does not execute the run: it is reaped.
    const hold = deferred();
    const again = deferred();
    const stuck = defineDag<Deps>({
      id: "busy",
      description: "",
      params: {},
      tasks: [spec("t", [], async () => (again.resolve(), await hold.promise, "late"))],
    });
    const owner = await testEngine(db, [stuck], { staleAfterMs: 60_000 });
    const other = await testEngine(db, [stuck], { staleAfterMs: 60_000 });
    const held = await owner.engine.trigger({ dag: "busy", trigger: "manual" });
    await again.promise;
    other.clock.advance(5 * 60_000);
    assert.deepEqual(await other.engine.reap(), [held]);
    hold.resolve();
    const ended = await owner.engine.wait(held);
    assert.equal(ended.status, "failed");
    assert.match(ended.statusReason!, /no heartbeat for more than 60 s/);
  },
);
