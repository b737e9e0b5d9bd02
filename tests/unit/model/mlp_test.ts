/** Mlp wiring: gradients equal the float64 reference, batch-1 paths, threads, learning and determinism. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel.ts";
import { Mlp } from "../../../src/model/mlp.ts";
import { denseSource, fit } from "../../../src/model/fit.ts";
import { lossAndGrads, type RefBatch, type RefParams } from "../../reference/mlp.ts";
import { assertClose } from "../../reference/compare.ts";
import { rand, randArray } from "./helpers.ts";

function refParams(mlp: Mlp): RefParams {
  const L = mlp.config.hidden.length + 1;
  const p: RefParams = { W: [], b: [], gamma: [], beta: [] };
  for (let l = 0; l < L; l++) {
    p.W.push(Float64Array.from(mlp.view(`p:W${l}`)));
    p.b.push(Float64Array.from(mlp.view(`p:b${l}`)));
    if (l < L - 1 && mlp.config.batchNorm) {
      p.gamma.push(Float64Array.from(mlp.view(`p:gamma${l}`)));
      p.beta.push(Float64Array.from(mlp.view(`p:beta${l}`)));
    }
  }
  return p;
}

function checkGrads(mlp: Mlp, refBatch: RefBatch, loss: number) {
  const c = mlp.config;
  const dims = [c.input, ...c.hidden, c.output];
  const e = lossAndGrads(refParams(mlp), dims, c.batchNorm, refBatch, c.bnEps);
  assert.ok(Math.abs(loss - e.loss) < 1e-4, `loss ${loss} vs reference ${e.loss}`);
  for (let l = 0; l < dims.length - 1; l++) {
    assertClose(`g:W${l}`, mlp.view(`g:W${l}`), e.grads.W[l], { atol: 2e-5, rtol: 1e-3 });
    assertClose(`g:b${l}`, mlp.view(`g:b${l}`), e.grads.b[l], { atol: 2e-5, rtol: 1e-3 });
    if (l < dims.length - 2 && c.batchNorm) {
      assertClose(`g:gamma${l}`, mlp.view(`g:gamma${l}`), e.grads.gamma[l], {
        atol: 2e-5,
        rtol: 1e-3,
      });
      assertClose(`g:beta${l}`, mlp.view(`g:beta${l}`), e.grads.beta[l], {
        atol: 2e-5,
        rtol: 1e-3,
      });
    }
  }
}

Deno.test("Mlp gradients equal the float64 reference MLP (dense input, BatchNorm, odd widths)", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, { input: 7, hidden: [13, 9], output: 5, batchSize: 6, seed: 4 });
  const r = rand(21);
  const x = randArray(6 * 7, r, 2);
  const labels = Int32Array.from([0, 4, 2, 2, 1, 3]);
  mlp.setBatch({ x, labels });
  const loss = mlp.forward("train");
  mlp.backward();
  checkGrads(mlp, { B: 6, x, labels }, loss);
  kernel.close();
});

Deno.test("Mlp gradients equal the reference for sparse input with a corrected candidate softmax", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, {
    input: 31,
    sparseInput: true,
    hidden: [10],
    output: 23,
    batchSize: 4,
    maxCandidates: 8,
    seed: 5,
  });
  const sparse = {
    offsets: Int32Array.from([0, 3, 4, 8, 10]),
    indices: Int32Array.from([1, 30, 1, 7, 2, 3, 4, 5, 30, 0]),
    values: Float32Array.from([1, 0.5, 0.25, 1, 0.2, 0.4, 0.6, 0.8, 1, 1]),
  };
  const labels = Int32Array.from([0, 5, 2, 6]);
  const candidates = Int32Array.from([22, 0, 5, 5, 17, 9, 3]);
  const correction = Float32Array.from([-1, 0.5, 0.1, 0.1, -2, 0, 1]);
  mlp.setBatch({ ...sparse, labels });
  const loss = mlp.forward("train", { candidates, correction });
  mlp.backward();
  checkGrads(mlp, { B: 4, sparse, labels, candidates, correction }, loss);
  kernel.close();
});

Deno.test("Mlp gradients equal the reference for a wide (≥ 1024) output layer", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, { input: 6, hidden: [9], output: 1030, batchSize: 5, seed: 12 });
  const r = rand(23);
  const x = randArray(5 * 6, r, 2);
  const labels = Int32Array.from([0, 1029, 511, 7, 1024]);
  mlp.setBatch({ x, labels });
  const loss = mlp.forward("train");
  mlp.backward();
  checkGrads(mlp, { B: 5, x, labels }, loss);
  kernel.close();
});

Deno.test("lazy Adam leaves input-table rows that no batch touched unchanged", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, {
    input: 50,
    sparseInput: true,
    hidden: [8],
    output: 4,
    batchSize: 2,
    seed: 6,
  });
  const before = mlp.view("p:W0").slice();
  mlp.trainStep({
    offsets: Int32Array.from([0, 2, 3]),
    indices: Int32Array.from([3, 9, 3]),
    values: Float32Array.from([1, 1, 1]),
    labels: Int32Array.from([1, 2]),
  });
  const after = mlp.view("p:W0");
  for (let row = 0; row < 50; row++) {
    const changed = after.subarray(row * 8, row * 8 + 8).some((v, i) => v !== before[row * 8 + i]);
    assert.equal(changed, row === 3 || row === 9, `row ${row}`);
  }
  assert.ok(
    mlp.view("g:W0").every((g) => g === 0),
    "touched gradient rows are cleared after the step",
  );
  kernel.close();
});

Deno.test("batch-1 inference depends on the input and equals the same row of a batch", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, {
    input: 6,
    hidden: [16, 12],
    output: 9,
    batchSize: 8,
    seed: 7,
    adam: { lr: 0.01 },
  });
  const r = rand(22);
  for (let i = 0; i < 5; i++) {
    mlp.trainStep({
      x: randArray(48, r),
      labels: Int32Array.from({ length: 8 }, (_, j) => j % 9),
    });
  }
  const x = randArray(8 * 6, r);
  const batch = mlp.predict({ x }).slice();
  const one = mlp.predict({ x: x.subarray(0, 6) }).slice();
  const two = mlp.predict({ x: x.subarray(6, 12) }).slice();
  assertClose("batch-1 row 0", one, batch.subarray(0, 9), { atol: 1e-5 });
  assertClose("batch-1 row 1", two, batch.subarray(9, 18), { atol: 1e-5 });
  assert.notDeepEqual(one, two);
  const top = mlp.topK(3, { scores: one, exclude: [0] });
  assert.equal(top.ids.length, 3);
  assert.ok(!top.ids.includes(0));
  assert.ok(top.scores[0] >= top.scores[1] && top.scores[1] >= top.scores[2]);
  kernel.close();
});

function separable(n: number, seed: number) {
  const r = rand(seed);
  const x = new Float32Array(n * 20);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 10;
    for (let j = 0; j < 20; j++) x[i * 20 + j] = r() * 0.5;
    x[i * 20 + y[i]] += 1.5;
    x[i * 20 + 10 + ((y[i] * 3) % 10)] -= 1;
  }
  return { x, y };
}

Deno.test("a small MLP learns a separable 10-class problem to at least 95% held-out accuracy", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, {
    input: 20,
    hidden: [32],
    output: 10,
    batchSize: 32,
    seed: 8,
    adam: { lr: 0.01 },
  });
  const train = separable(1000, 31);
  const test = separable(500, 32);
  await fit(mlp, denseSource(train.x, train.y, { width: 20 }), { epochs: 8 });
  const logits = new Float32Array(500 * 10);
  for (let s = 0; s < 500; s += 32) {
    const n = Math.min(32, 500 - s);
    logits.set(mlp.predict({ x: test.x.subarray(s * 20, (s + n) * 20) }), s * 10);
  }
  let right = 0;
  for (let i = 0; i < 500; i++) {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === test.y[i]) right++;
  }
  assert.ok(right / 500 >= 0.95, `accuracy ${right / 500}`);
  kernel.close();
});

async function trainLosses(threads: number, seed: number): Promise<number[]> {
  const kernel = await Kernel.create({ threads });
  const mlp = Mlp.create(kernel, {
    input: 40,
    hidden: [96, 80],
    output: 50,
    batchSize: 64,
    seed,
    parallelMin: 1,
    dropout: 0.1,
  });
  const r = rand(41);
  const losses: number[] = [];
  for (let s = 0; s < 12; s++) {
    losses.push(
      mlp.trainStep({
        x: randArray(64 * 40, r),
        labels: Int32Array.from({ length: 64 }, () => Math.floor((r() + 1) * 25)),
      }),
    );
  }
  kernel.close();
  return losses;
}

Deno.test("two-thread training gives the same losses as one thread", async () => {
  const one = await trainLosses(1, 9);
  const two = await trainLosses(2, 9);
  assertClose("losses 2 threads vs 1", two, one, { atol: 1e-5, rtol: 1e-5 });
  assert.ok(one[11] < one[0], "the loss falls while training");
});

async function sparseLosses(threads: number): Promise<number[]> {
  const kernel = await Kernel.create({ threads });
  const mlp = Mlp.create(kernel, {
    input: 300,
    sparseInput: true,
    hidden: [64],
    output: 120,
    batchSize: 32,
    maxCandidates: 40,
    seed: 3,
    parallelMin: 1,
  });
  const r = rand(42);
  const losses: number[] = [];
  for (let s = 0; s < 8; s++) {
    const offsets = Int32Array.from({ length: 33 }, (_, i) => i * 5);
    const indices = Int32Array.from({ length: 160 }, () => Math.floor((r() + 1) * 150));
    const values = randArray(160, r);
    const labels = Int32Array.from({ length: 32 }, () => Math.floor((r() + 1) * 20));
    const candidates = Int32Array.from({ length: 40 }, (_, i) => (i * 7 + s) % 120);
    losses.push(
      mlp.trainStep({ offsets, indices, values, labels }, {
        candidates,
        correction: randArray(40, r),
      }),
    );
  }
  kernel.close();
  return losses;
}

Deno.test("two-thread sparse-input training with sampled softmax gives the same losses as one thread", async () => {
  assertClose("sparse losses 2 threads vs 1", await sparseLosses(2), await sparseLosses(1), {
    atol: 1e-5,
    rtol: 1e-5,
  });
});

Deno.test("training is deterministic for a seed and differs for another seed", async () => {
  const a = await trainLosses(1, 10);
  const b = await trainLosses(1, 10);
  const c = await trainLosses(1, 11);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("setBatch rejects a batch larger than the arena with a message naming the sizes", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = Mlp.create(kernel, { input: 3, hidden: [4], output: 2, batchSize: 2 });
  assert.throws(
    () => mlp.setBatch({ x: new Float32Array(9) }),
    /9 values: expected k·3 with 1 ≤ k ≤ 2/,
  );
  kernel.close();
});

Deno.test("a kernel op that traps in a thread is reported as an error instead of hanging", async () => {
  const kernel = await Kernel.create({ threads: 2 });
  const n = 1 << 16;
  const adam = (p: number) => [p, p + 4 * n, p + 8 * n, p + 12 * n, n, 0.1, 0.9, 0.999, 1e-8, 0, 1];
  // An offset far past the memory makes every chunk's first load trap.
  assert.throws(
    () => kernel.parallel("adamStep", { args: adam(0x7ff00000), total: n, chunk: 4096 }),
    /kernel op adamStep failed in a thread/,
  );
  // The pool still works afterwards.
  const at = kernel.alloc(16 * n);
  kernel.f32(at + 4 * n, n).fill(1);
  kernel.parallel("adamStep", { args: adam(at), total: n, chunk: 4096 });
  assert.ok(kernel.f32(at, n).every((p) => Math.abs(p + 0.1) < 1e-6));
  kernel.close();
});
