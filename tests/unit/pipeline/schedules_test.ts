/** The schedules: a cron tick only starts a run (skipped while one is active); the scheduler's /health and /metrics; the cron variables. */
import assert from "node:assert/strict";
import { createSchedulerApp } from "../../../src/api/scheduler_app.ts";
import { loadConfig } from "../../../src/config.ts";
import { invalid, ReelrankError } from "../../../src/errors.ts";
import { configureLogging } from "../../../src/log.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import type { TriggerOptions } from "../../../src/pipeline/service.ts";
import { type Cron, DRIFT_CRON, registerSchedules } from "../../../pipelines/schedules.ts";

function fakeCron() {
  const registered: {
    name: string;
    schedule: string;
    signal?: AbortSignal;
    tick: () => Promise<void>;
  }[] = [];
  const cron: Cron = (name, schedule, options, handler) => {
    registered.push({ name, schedule, signal: options.signal, tick: handler });
  };
  return { cron, registered };
}

Deno.test("a cron tick starts one run of the recommend DAG dated to the tick's minute", async () => {
  const { cron, registered } = fakeCron();
  const started: TriggerOptions[] = [];
  const signal = new AbortController().signal;
  registerSchedules({ trigger: (o) => (started.push(o), Promise.resolve("recommend-x")) }, {
    schedule: "0 3 * * *",
    signal,
    cron,
    clock: () => new Date("2026-03-01T03:00:07.250Z"),
  });
  assert.equal(registered.length, 1);
  assert.equal(registered[0].schedule, "0 3 * * *");
  assert.equal(registered[0].signal, signal);
  assert.equal(started.length, 0, "registering starts nothing");
  await registered[0].tick();
  assert.deepEqual(started, [{
    dag: "recommend",
    trigger: "schedule",
    logicalDate: new Date("2026-03-01T03:00:00.000Z"),
  }]);
});

Deno.test("a tick while a run is active is skipped with a warning, and a failed start never throws", async () => {
  const lines: string[] = [];
  configureLogging({ level: "info", write: (l) => lines.push(l) });
  try {
    const { cron, registered } = fakeCron();
    let fail: Error = new ReelrankError("CONFLICT", 'DAG "recommend" already has an active run');
    registerSchedules({ trigger: () => Promise.reject(fail) }, { schedule: "* * * * *", cron });
    await registered[0].tick();
    fail = invalid("the database is gone");
    await registered[0].tick();
    const logged = lines.map((l) => JSON.parse(l)).filter((l) =>
      l.module === "pipelines/schedules"
    );
    assert.deepEqual(logged.slice(1).map((l) => [l.level, l.msg]), [
      ["warn", "scheduled run skipped: a run is still active"],
      ["error", "scheduled run could not start"],
    ]);
  } finally {
    configureLogging({ level: "warn", write: (l) => console.error(l) });
  }
});

Deno.test("the hourly drift check gets a trigger that starts a recommend run marked drift", async () => {
  const { cron, registered } = fakeCron();
  const started: TriggerOptions[] = [];
  let checks = 0;
  registerSchedules({ trigger: (o) => (started.push(o), Promise.resolve("recommend-d")) }, {
    schedule: "0 3 * * *",
    cron,
    driftCheck: async (trigger) => {
      checks++;
      assert.deepEqual(
        await trigger({
          reportId: 7,
          reason: "genre PSI 0.4",
          logicalDate: new Date("2026-03-01T04:30:00Z"),
        }),
        { runId: "recommend-d" },
      );
    },
  });
  assert.deepEqual(registered.map((r) => [r.name, r.schedule]), [
    ["reelrank recommend", "0 3 * * *"],
    ["reelrank drift", DRIFT_CRON],
  ]);
  await registered[1].tick();
  assert.equal(checks, 1);
  assert.deepEqual(started, [{
    dag: "recommend",
    trigger: "drift",
    logicalDate: new Date("2026-03-01T04:30:00Z"),
  }]);
  // Without a drift check only the DAG's schedule is registered.
  const bare = fakeCron();
  registerSchedules({ trigger: () => Promise.resolve("x") }, {
    schedule: "0 3 * * *",
    cron: bare.cron,
  });
  assert.equal(bare.registered.length, 1);
});

Deno.test("the scheduler answers /health and /metrics with the pipeline's series", async () => {
  const metrics = createMetrics();
  metrics.pipelineLastSuccess.set({ dag: "recommend" }, 1_770_000_000);
  const app = createSchedulerApp({ metrics });
  assert.deepEqual(await (await app.request("/health")).json(), {
    status: "ok",
    role: "scheduler",
  });
  const res = await app.request("/metrics");
  assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
  assert.match(
    await res.text(),
    /reelrank_pipeline_last_success_timestamp_seconds\{dag="recommend"\} 1770000000/,
  );
  assert.equal((await app.request("/api/v1/movies")).status, 404);
});

Deno.test("REELRANK_DAG_CRON and SCHEDULER_PORT are validated, with defaults", () => {
  const c = loadConfig({});
  assert.equal(c.dagCron, "0 3 * * *");
  assert.equal(c.schedulerPort, 8001);
  assert.equal(
    loadConfig({ REELRANK_DAG_CRON: " */15  2-4 * * 1,3 " }).dagCron,
    "*/15 2-4 * * 1,3",
  );
  assert.throws(
    () => loadConfig({ REELRANK_DAG_CRON: "every day" }),
    /REELRANK_DAG_CRON must be a 5-field cron expression .* got "every day"/,
  );
  assert.throws(() => loadConfig({ REELRANK_DAG_CRON: "0 3 * *" }), /REELRANK_DAG_CRON/);
  assert.throws(
    () => loadConfig({ SCHEDULER_PORT: "x" }),
    /SCHEDULER_PORT must be a positive integer, got "x"/,
  );
});
