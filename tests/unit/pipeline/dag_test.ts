import assert from "node:assert/strict";
import { defineDag, downstreamOf, type TaskSpec } from "../../../src/pipeline/dag.ts";
import { recommendDag } from "../../../pipelines/recommend_dag.ts";

const task = (id: string, upstream: string[] = []): TaskSpec<unknown> => ({
  id,
  description: id,
  upstream,
  run: () => Promise.resolve(null),
});

Deno.test("the recommend DAG has exactly its edges, in dependency order", () => {
  assert.deepEqual(recommendDag.tasks.map((t) => t.id), [
    "ingest",
    "snapshot",
    "features",
    "train",
    "evaluate",
    "register",
    "promote",
    "publish",
  ]);
  assert.deepEqual(recommendDag.edges, [
    ["ingest", "snapshot"],
    ["snapshot", "features"],
    ["features", "train"],
    ["features", "evaluate"],
    ["train", "evaluate"],
    ["train", "register"],
    ["evaluate", "register"],
    ["register", "promote"],
    ["promote", "publish"],
  ]);
});

Deno.test("the recommend DAG has no cycle: every task comes after all its upstream tasks", () => {
  const seen = new Set<string>();
  for (const t of recommendDag.tasks) {
    for (const u of t.upstream) assert.ok(seen.has(u), `${u} must come before ${t.id}`);
    seen.add(t.id);
  }
  // Retries, backoff and timeouts are set per task; the longest-running one has the longest timeout.
  const train = recommendDag.task("train");
  assert.ok(train.timeoutMs >= 60 * 60_000 && train.retries >= 1);
  assert.ok(recommendDag.tasks.every((t) => t.backoff === 2 && t.timeoutMs > 0));
});

Deno.test("defineDag() orders tasks defined out of order and keeps definition order among ties", () => {
  const dag = defineDag({
    id: "d",
    description: "",
    params: {},
    tasks: [task("c", ["a", "b"]), task("b", ["a"]), task("a"), task("e")],
  });
  assert.deepEqual(dag.tasks.map((t) => t.id), ["a", "b", "c", "e"]);
  assert.deepEqual([...downstreamOf(dag, "b")], ["b", "c"]);
});

Deno.test("defineDag() names an unknown upstream task and the tasks that exist", () => {
  assert.throws(
    () => defineDag({ id: "d", description: "", params: {}, tasks: [task("a"), task("b", ["x"])] }),
    /task "b" has an unknown upstream task "x"; tasks are a, b/,
  );
});

Deno.test("defineDag() names the tasks of a cycle in order", () => {
  assert.throws(
    () =>
      defineDag({
        id: "d",
        description: "",
        params: {},
        tasks: [task("a"), task("b", ["a", "d"]), task("c", ["b"]), task("d", ["c"])],
      }),
    /DAG "d" has a cycle among c → d → b → c$/,
  );
  assert.throws(
    () => defineDag({ id: "d", description: "", params: {}, tasks: [task("a", ["a"])] }),
    /task "a" lists itself upstream/,
  );
});

Deno.test("defineDag() refuses two tasks with one id, bad ids and bad retry settings", () => {
  assert.throws(
    () => defineDag({ id: "d", description: "", params: {}, tasks: [task("a"), task("a")] }),
    /two tasks have the id "a"/,
  );
  assert.throws(
    () => defineDag({ id: "d", description: "", params: {}, tasks: [task("Bad-Id")] }),
    /task id must be lower-case/,
  );
  assert.throws(
    () =>
      defineDag({ id: "d", description: "", params: {}, tasks: [{ ...task("a"), retries: -1 }] }),
    /task "a": retries must be an integer ≥ 0, got -1/,
  );
  assert.throws(
    () => defineDag({ id: "d", description: "", params: {}, tasks: [] }),
    /DAG "d" has no tasks/,
  );
});
