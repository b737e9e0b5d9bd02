/** The pipeline pages through app.request(): the grid of runs × tasks, a run's DAG, Gantt bars and logs; the DAG layout. */
import assert from "node:assert/strict";
import { layoutDag } from "../../../web/components/dag_graph.tsx";
import { recommendDag } from "../../../pipelines/recommend_dag.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";
import { fakeTimers, standInDag } from "../pipeline/support.ts";

Deno.test("layoutDag() puts each task one column after its deepest upstream task and arcs edges over skipped columns", () => {
  const g = layoutDag(recommendDag.tasks);
  const col = Object.fromEntries(g.nodes.map((n) => [n.id, n.level]));
  assert.deepEqual(col, {
    ingest: 0,
    snapshot: 1,
    features: 2,
    train: 3,
    evaluate: 4,
    register: 5,
    promote: 6,
    publish: 7,
  });
  assert.equal(g.edges.length, 9);
  const node = g.nodes.find((n) => n.id === "train")!;
  // features → evaluate skips train's column: it starts above the row of nodes, so it never crosses train.
  const skip = g.edges.find((e) => e.from === "features" && e.to === "evaluate")!;
  const lowest = Math.min(
    ...skip.path.match(/-?\d+(\.\d+)?/g)!.map(Number).filter((_, i) => i % 2 === 1),
  );
  assert.ok(lowest < node.y, skip.path);
  const diamond = layoutDag([
    { id: "a", upstream: [] },
    { id: "b", upstream: ["a"] },
    { id: "c", upstream: ["a"] },
    { id: "d", upstream: ["b", "c"] },
  ]);
  const at = Object.fromEntries(diamond.nodes.map((n) => [n.id, n]));
  assert.equal(at.b.x, at.c.x);
  assert.notEqual(at.b.y, at.c.y);
  assert.ok(at.d.x > at.b.x);
});

const flaky = standInDag((ctx) => {
  ctx.log.info(`try ${ctx.attempt} <script>`);
  return ctx.attempt === 1 ? Promise.reject(new Error("disk <full>")) : Promise.resolve(2);
}, { retries: 1, report: true, description: "stand-in <b>dag</b>" });

dbTest(
  "the pipeline grid shows a cell per run and task coloured by state, linking to the run",
  async (db) => {
    await withFixture(db, async (f) => {
      const a = await f.engine.run({ dag: "recommend", trigger: "manual" });
      f.clock.advance(60_000);
      const b = await f.engine.run({ dag: "recommend", trigger: "api", params: { k: 7 } });
      const html = await (await f.app.request("/admin/pipeline")).text();
      const cells = [
        ...html.matchAll(
          /href="\/admin\/pipeline\/runs\/([^"#]+)#task-(\w+)" class="cell state state-([a-z-]+)"/g,
        ),
      ]
        .map((m) => `${m[1] === a.id ? "a" : m[1] === b.id ? "b" : m[1]}:${m[2]}:${m[3]}`);
      // Rows are tasks; within a row the oldest run comes first.
      assert.deepEqual(cells, [
        "a:prepare:success",
        "b:prepare:success",
        "a:work:success",
        "b:work:success",
        "a:report:failed",
        "b:report:failed",
      ]);
      assert.ok(html.includes("stand-in &lt;b>dag&lt;/b>"));
      assert.ok(html.includes('data-island="TriggerButton"'));
    }, { train: false, engine: { dags: [flaky], timers: fakeTimers().timers } });
  },
);

dbTest(
  "a run page draws the DAG, a bar per attempt and every attempt's escaped log lines",
  async (db) => {
    await withFixture(db, async (f) => {
      const run = await f.engine.run({ dag: "recommend", trigger: "manual", params: { k: 2 } });
      const res = await f.app.request(`/admin/pipeline/runs/${run.id}`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.equal(html.match(/data-edge="/g)?.length, 2);
      assert.equal(html.match(/<rect [^>]*class="state state-(success|failed)"/g)?.length, 3 + 4);
      assert.ok(html.includes("try 1 &lt;script>"));
      assert.ok(html.includes("disk &lt;full>"));
      assert.ok(html.includes('id="task-work"'));
      assert.match(html, /<th scope="row">k<\/th>\s*<td class="mono">2<\/td>/);
      // Finished: the re-run button is offered, preselecting the failed task.
      assert.match(
        html,
        /"from":\{"runId":"[^"]+","tasks":\["prepare","work","report"\],"selected":"report"\}/,
      );
      const missing = await f.app.request("/admin/pipeline/runs/recommend-missing");
      assert.equal(missing.status, 404);
      assert.ok(
        (await missing.text()).includes(
          "pipeline run &quot;recommend-missing&quot; does not exist",
        ),
      );
    }, { train: false, engine: { dags: [flaky], timers: fakeTimers().timers } });
  },
);
