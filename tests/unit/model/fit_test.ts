/** The training loop: seeded shuffles, early stopping, sparse sources. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel.ts";
import { Mlp } from "../../../src/model/mlp.ts";
import { fit, sparseSource } from "../../../src/model/fit.ts";

// Each row is a bag of two ids from its class's private range: ids 10c..10c+9 → class c.
function bags(n: number) {
  const items = Array.from({ length: n }, (_, i) => ({
    indices: Int32Array.from([10 * (i % 5) + (i % 10), 10 * (i % 5) + ((i * 3) % 10)]),
    values: Float32Array.from([0.5, 0.5]),
  }));
  return sparseSource(items, Int32Array.from({ length: n }, (_, i) => i % 5));
}

async function run(seed: number, stopAfter = Infinity) {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, {
    input: 50,
    sparseInput: true,
    hidden: [16],
    output: 5,
    batchSize: 16,
    seed: 2,
    adam: { lr: 0.02 },
  });
  const reports = await fit(mlp, bags(200), {
    epochs: 6,
    seed,
    onEpoch: (r) => r.epoch < stopAfter,
  });
  const probe = mlp.predict({
    offsets: Int32Array.from([0, 1]),
    indices: Int32Array.from([22]),
    values: Float32Array.from([1]),
  });
  const top = mlp.topK(1, { scores: probe.slice() }).ids[0];
  kernel.close();
  return { losses: reports.map((r) => r.loss), top };
}

Deno.test("fit learns a sparse bag problem and the same seed gives the same losses", async () => {
  const a = await run(1);
  const b = await run(1);
  const c = await run(2);
  assert.deepEqual(a.losses, b.losses);
  assert.notDeepEqual(a.losses, c.losses, "another shuffle seed changes the batches");
  assert.ok(a.losses[5] < a.losses[0] / 2, `losses ${a.losses}`);
  assert.equal(a.top, 2, "id 22 occurs only in class 2 rows");
});

Deno.test("fit stops when onEpoch returns false", async () => {
  const r = await run(1, 2);
  assert.equal(r.losses.length, 2);
});
