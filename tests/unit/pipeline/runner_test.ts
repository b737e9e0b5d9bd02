import assert from "node:assert/strict";
import { invalid } from "../../../src/errors.ts";
import { defineDag, type TaskSpec } from "../../../src/pipeline/dag.ts";
import type { RunEvent } from "../../../src/pipeline/runner.ts";
import { dbTest } from "../../helpers/db.ts";
import { deferred, metricValue, testEngine } from "./support.ts";

type Deps = undefined;
const spec = (id: string, upstream: string[], run: TaskSpec<Deps>["run"], more = {}) => ({
  id,
  description: id,
  upstream,
  run,
  ...more,
});

dbTest("a failing task is retried with exponential backoff and then succeeds", async (db) => {
  let calls = 0;
  const dag = defineDag<Deps>({
    id: "flaky",
    description: "",
    params: {},
    tasks: [
      spec("fetch", [], (ctx) => {
        calls++;
        ctx.log.info(`try ${ctx.attempt}`);
        if (ctx.attempt < 3) throw new Error(`socket closed on try ${ctx.attempt}`);
        return Promise.resolve({ rows: 7 });
      }, { retries: 3, retryDelayMs: 1_000, backoff: 2 }),
    ],
  });
  const { engine, store, sleeps, metrics } = await testEngine(db, [dag]);
  const run = await engine.run({ dag: "flaky", trigger: "manual" });
  assert.equal(run.status, "success");
  assert.equal(calls, 3);
  // Two waits: 1 s then 2 s — never a real sleep.
  assert.deepEqual(sleeps, [1_000, 2_000]);
  const attempts = await store.listAttempts(run.id);
  assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.permanent]), [
    [1, "failed", false],
    [2, "failed", false],
    [3, "success", false],
  ]);
  assert.equal(attempts[0].error, "socket closed on try 1");
  assert.deepEqual(attempts[2].result, { rows: 7 });
  assert.deepEqual(run.tasks.map((t) => [t.taskId, t.status, t.tries]), [["fetch", "success", 3]]);
  // Every attempt's own log lines, in order.
  const logs = await store.readLogs(run.id, { taskId: "fetch", attempt: 2 });
  assert.deepEqual(logs.map((l) => [l.seq, l.level, l.message]), [
    [1, "info", "try 2"],
    [2, "warn", "attempt 2 failed; retrying in 2 s"],
  ]);
  assert.equal(logs[1].fields.error, "socket closed on try 2");
  const labels = { dag: "flaky", task: "fetch" };
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_task_attempts_total", {
      ...labels,
      outcome: "failed",
    }),
    2,
  );
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_task_attempts_total", {
      ...labels,
      outcome: "success",
    }),
    1,
  );
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_runs_total", {
      dag: "flaky",
      trigger: "manual",
      status: "success",
    }),
    1,
  );
  assert.equal(await metricValue(metrics, "reelrank_pipeline_run_active", { dag: "flaky" }), 0);
  assert.equal(
    await metricValue(metrics, "reelrank_pipeline_last_success_timestamp_seconds", {
      dag: "flaky",
    }),
    run.endedAt!.getTime() / 1000,
  );
});

dbTest("the wait between retries grows by the backoff factor up to its cap", async (db) => {
  const dag = defineDag<Deps>({
    id: "capped",
    description: "",
    params: {},
    tasks: [
      spec("t", [], () => Promise.reject(new Error("down")), {
        retries: 4,
        retryDelayMs: 1_000,
        backoff: 3,
        maxRetryDelayMs: 5_000,
      }),
    ],
  });
  const { engine, sleeps, store } = await testEngine(db, [dag]);
  const run = await engine.run({ dag: "capped", trigger: "manual" });
  assert.equal(run.status, "failed");
  assert.deepEqual(sleeps, [1_000, 3_000, 5_000, 5_000]);
  assert.equal((await store.listAttempts(run.id)).length, 5);
  assert.match(run.statusReason!, /^task "t" failed: down$/);
});

dbTest("an attempt past its timeout is aborted through ctx.signal and retried", async (db) => {
  const seen: boolean[] = [];
  const fake = { fire: () => {} };
  const dag = defineDag<Deps>({
    id: "slow",
    description: "",
    params: {},
    tasks: [
      spec("t", [], async (ctx) => {
        if (ctx.attempt === 1) {
          const aborted = new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
          );
          fake.fire(); // the clock passes the timeout while the task works
          seen.push(ctx.signal.aborted);
          await aborted;
        }
        return "done";
      }, { retries: 1, timeoutMs: 60_000, retryDelayMs: 10 }),
    ],
  });
  const t = await testEngine(db, [dag]);
  fake.fire = () => t.timeouts.at(-1)!.fire();
  const run = await t.engine.run({ dag: "slow", trigger: "manual" });
  assert.deepEqual(seen, [true]);
  assert.equal(run.status, "success");
  const attempts = await t.store.listAttempts(run.id);
  assert.deepEqual(attempts.map((a) => a.status), ["timeout", "success"]);
  assert.equal(attempts[0].error, 'TaskTimeout: task "t" timed out after 60 s');
  assert.ok(t.timeouts.every((x) => x.ms === 60_000 && x.cleared));
  assert.equal(
    await metricValue(t.metrics, "reelrank_pipeline_task_attempts_total", {
      dag: "slow",
      task: "t",
      outcome: "timeout",
    }),
    1,
  );
});

dbTest("a permanent error is not retried and its downstream tasks never run", async (db) => {
  let downstream = 0;
  const dag = defineDag<Deps>({
    id: "broken",
    description: "",
    params: {},
    tasks: [
      spec("read", [], () => Promise.reject(invalid("column rating must be 0.5..5, got 7")), {
        retries: 5,
      }),
      spec("use", ["read"], () => Promise.resolve(downstream++)),
      spec("after", ["use"], () => Promise.resolve(downstream++)),
    ],
  });
  const { engine, store, sleeps } = await testEngine(db, [dag]);
  const events: RunEvent[] = [];
  const run = await engine.run({ dag: "broken", trigger: "manual" }, (e) => events.push(e));
  assert.equal(run.status, "failed");
  assert.equal(run.statusReason, 'task "read" failed: column rating must be 0.5..5, got 7');
  assert.deepEqual(sleeps, []);
  const attempts = await store.listAttempts(run.id);
  assert.deepEqual(attempts.map((a) => [a.taskId, a.status, a.permanent]), [[
    "read",
    "failed",
    true,
  ]]);
  assert.equal(downstream, 0);
  assert.deepEqual(run.tasks.map((t) => t.status), [
    "failed",
    "upstream_failed",
    "upstream_failed",
  ]);
  assert.deepEqual(
    events.filter((e) => e.type === "task").map((e) =>
      e.type === "task" && `${e.taskId}:${e.status}`
    ),
    ["read:running", "read:failed", "use:upstream_failed", "after:upstream_failed"],
  );
});

dbTest(
  "independent tasks run at once and a task receives its upstream results by id",
  async (db) => {
    const bothStarted = deferred();
    const started = new Set<string>();
    const branch = (id: string) =>
      spec(id, ["a"], async (_ctx, up) => {
        started.add(id);
        if (started.size === 2) bothStarted.resolve();
        await bothStarted.promise; // only returns once the other branch has started too
        return { from: id, got: up.a };
      });
    let joined: unknown;
    const dag = defineDag<Deps>({
      id: "diamond",
      description: "",
      params: {},
      tasks: [
        spec("a", [], () => Promise.resolve({ key: "objects/a.bin" })),
        branch("b"),
        branch("c"),
        spec("d", ["b", "c"], (_ctx, up) => Promise.resolve(joined = up)),
      ],
    });
    const { engine } = await testEngine(db, [dag]);
    const run = await engine.run({ dag: "diamond", trigger: "manual" });
    assert.equal(run.status, "success");
    assert.deepEqual(joined, {
      b: { from: "b", got: { key: "objects/a.bin" } },
      c: { from: "c", got: { key: "objects/a.bin" } },
    });
  },
);

dbTest("a task result that is not small JSON fails the task without retries", async (db) => {
  const dag = defineDag<Deps>({
    id: "big",
    description: "",
    params: {},
    tasks: [spec("t", [], () => Promise.resolve("x".repeat(70_000)), { retries: 3 })],
  });
  const { engine, store } = await testEngine(db, [dag]);
  const run = await engine.run({ dag: "big", trigger: "manual" });
  assert.equal(run.status, "failed");
  assert.match(run.statusReason!, /returned 70002 bytes; a result carries ids and object keys/);
  assert.equal((await store.listAttempts(run.id)).length, 1);
});
