/** /api/v1/pipeline: runs with tasks, attempts and logs; starting one with the admin token; 409 while one is active. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import { ADMIN_TOKEN, type Fixture, postJson, withFixture } from "../../helpers/serving.ts";
import { deferred, fakeTimers, standInDag } from "../pipeline/support.ts";
import { flagOf, HYPERPARAMS, PARAM_NAMES } from "../../../src/model/mod.ts";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The stand-in DAG whose `work` waits for `release` and fails its first attempt. */
function testDag(release: Promise<void>) {
  return standInDag(async (ctx) => {
    ctx.log.info(`attempt ${ctx.attempt} with k=${ctx.params.k}`);
    await release;
    if (ctx.attempt === 1) throw new Error("flaky disk");
    return { done: true };
  }, { retries: 1 });
}

async function withPipeline(
  db: Parameters<typeof withFixture>[0],
  fn: (f: Fixture, release: () => void) => Promise<void>,
) {
  const gate = deferred();
  await withFixture(db, (f) => fn(f, gate.resolve), {
    train: false,
    engine: { dags: [testDag(gate.promise)], timers: fakeTimers().timers },
  });
}

dbTest(
  "starting a run needs the admin token; with it the run starts and a second answers 409",
  async (db) => {
    await withPipeline(db, async (f, release) => {
      const refused = await f.app.request("/api/v1/pipeline/runs", postJson({}));
      assert.equal(refused.status, 401);
      assert.equal((await f.engine.listRuns()).items.length, 0);

      const res = await f.app.request(
        "/api/v1/pipeline/runs",
        postJson({ params: { k: 3 } }, auth),
      );
      assert.equal(res.status, 202);
      const started = await res.json();
      assert.equal(started.status, "queued");
      assert.equal(res.headers.get("location"), started.url);
      assert.match(started.id, /^recommend-\d{8}T\d{6}Z-[0-9a-f]{6}$/);

      const again = await f.app.request("/api/v1/pipeline/runs", postJson({}, auth));
      assert.equal(again.status, 409);
      const body = await again.json();
      assert.equal(body.error.code, "CONFLICT");
      assert.match(body.error.message, new RegExp(`already has an active run \\(${started.id}`));

      release();
      const run = await f.engine.wait(started.id);
      assert.equal(run.status, "success");
      const detail = await (await f.app.request(started.url)).json();
      assert.equal(detail.trigger, "api");
      assert.deepEqual(detail.params, { k: 3 });
      assert.deepEqual(
        detail.tasks.map((
          t: { taskId: string; status: string; tries: number },
        ) => [t.taskId, t.status, t.tries]),
        [
          ["prepare", "success", 1],
          ["work", "success", 2],
        ],
      );
      assert.deepEqual(detail.tasks[0].result, { key: "objects/p.bin" });
      assert.deepEqual(
        detail.attempts.map((
          a: { taskId: string; attempt: number; status: string; error: string | null },
        ) => [a.taskId, a.attempt, a.status, a.error]),
        [["prepare", 1, "success", null], ["work", 1, "failed", "flaky disk"], [
          "work",
          2,
          "success",
          null,
        ]],
      );
      const only = await (await f.app.request(`${started.url}?task=work&attempt=2`)).json();
      assert.deepEqual(only.logs.map((l: { message: string }) => l.message), [
        "attempt 2 with k=3",
      ]);
      const state = await (await f.app.request(`${started.url}?logs=none`)).json();
      assert.deepEqual([state.status, state.logs.length, state.attempts.length], ["success", 0, 3]);
    });
  },
);

dbTest("a bad trigger answers 400 naming the problem, an unknown run 404", async (db) => {
  await withPipeline(db, async (f) => {
    const cases: [unknown, RegExp][] = [
      [{ params: { k: 99 } }, /parameter k must be an integer in 1\.\.9, got 99/],
      [{ params: { nope: 1 } }, /unknown parameter "nope"; parameters are k/],
      [{ dag: "other" }, /unknown DAG "other"; DAGs are recommend/],
      [{ logicalDate: "yesterday" }, /logicalDate: /],
      [{ trigger: "schedule" }, /trigger: /],
    ];
    for (const [body, message] of cases) {
      const res = await f.app.request("/api/v1/pipeline/runs", postJson(body, auth));
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).error.message, message);
    }
    const missing = await f.app.request(
      "/api/v1/pipeline/runs",
      postJson({ from: { runId: "recommend-nope", taskId: "work" } }, auth),
    );
    assert.equal(missing.status, 404);
    assert.equal((await f.app.request("/api/v1/pipeline/runs/recommend-nope")).status, 404);
    assert.equal((await f.engine.listRuns()).items.length, 0);
  });
});

dbTest(
  "runs are listed newest first in pages, with the DAG and its parameters described",
  async (db) => {
    await withPipeline(db, async (f, release) => {
      release();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        f.clock.advance(60_000);
        ids.push((await f.engine.run({ dag: "recommend", trigger: "manual" })).id);
      }
      const first = await (await f.app.request("/api/v1/pipeline/runs?limit=2")).json();
      assert.deepEqual(first.items.map((r: { id: string }) => r.id), [ids[2], ids[1]]);
      assert.equal(first.nextBefore, ids[1]);
      const rest =
        await (await f.app.request(`/api/v1/pipeline/runs?limit=2&before=${first.nextBefore}`))
          .json();
      assert.deepEqual(rest.items.map((r: { id: string }) => r.id), [ids[0]]);
      assert.equal(rest.nextBefore, null);
      const bad = await f.app.request("/api/v1/pipeline/runs?status=done");
      assert.equal(bad.status, 400);
      const [dag] = await (await f.app.request("/api/v1/pipeline/dags")).json();
      assert.deepEqual(
        dag.tasks.map((t: { id: string; upstream: string[] }) => [t.id, t.upstream]),
        [
          ["prepare", []],
          ["work", ["prepare"]],
        ],
      );
      assert.deepEqual(dag.params, [{ name: "k", task: "work", help: "how many", default: 5 }]);
      const doc = await (await f.app.request("/openapi.json")).json();
      assert.ok(doc.paths["/api/v1/pipeline/runs"].get && doc.paths["/api/v1/pipeline/runs"].post);
      assert.ok(doc.paths["/api/v1/pipeline/runs/{id}"].get);
      assert.deepEqual(doc.paths["/api/v1/pipeline/runs"].post.security, [{ adminToken: [] }]);
    });
  },
);

dbTest(
  "/openapi.json types a run's training parameters from the hyperparameter table, and an out-of-range one is a 400 naming it",
  async (db) => {
    await withPipeline(db, async (f) => {
      const doc = await (await f.app.request("/openapi.json")).json();
      const body = doc.paths["/api/v1/pipeline/runs"].post.requestBody.content["application/json"]
        .schema;
      const trigger = doc.components.schemas[body.$ref.split("/").pop()];
      assert.equal(trigger.properties.params.$ref, "#/components/schemas/PipelineRunParams");
      const params = doc.components.schemas.PipelineRunParams;
      assert.deepEqual(Object.keys(params.properties).sort(), PARAM_NAMES.map(flagOf).sort());
      assert.ok(params.additionalProperties, "the DAG's other parameters are accepted too");
      const { lr, batch, dropout, tables, hidden } = params.properties;
      assert.deepEqual(
        [lr.type, lr.exclusiveMinimum, lr.maximum, lr.default],
        ["number", 0, 1, HYPERPARAMS.lr.default],
      );
      assert.match(lr.description, /Adam learning rate/);
      assert.deepEqual(
        [batch.type, batch.minimum, batch.maximum, batch.default],
        ["integer", 2, 8192, 256],
      );
      assert.deepEqual([dropout.minimum, dropout.exclusiveMaximum], [0, 1]);
      assert.deepEqual(tables.enum, ["f32", "f16", "i8"]);
      assert.deepEqual([hidden.type, hidden.items.minimum, hidden.default], ["array", 1, [256]]);

      const cases: [Record<string, unknown>, string][] = [
        [{ lr: 2 }, "params.lr"],
        [{ batch: "1" }, "params.batch"],
        [{ tables: "f64", k: 3 }, "params.tables"],
      ];
      for (const [given, field] of cases) {
        const res = await f.app.request("/api/v1/pipeline/runs", postJson({ params: given }, auth));
        assert.equal(res.status, 400, JSON.stringify(given));
        const error = (await res.json()).error;
        assert.equal(error.code, "INVALID_PARAMETER");
        assert.deepEqual(error.fields.map((p: { field: string }) => p.field), [field]);
        assert.match(error.message, new RegExp(`^${field.replace(".", "\\.")}: `));
      }
      assert.equal((await f.engine.listRuns()).items.length, 0);
    });
  },
);
