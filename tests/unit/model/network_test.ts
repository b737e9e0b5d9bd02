/** Net wiring: gradients equal the float64 reference network, lazy Adam, batch-1 paths, threads, learning, determinism, batch validation. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import type { NetConfig, ResolvedConfig } from "../../../src/model/network/config.ts";
import { type BagBatch, type CandidateOptions, Net } from "../../../src/model/network/net.ts";
import { Prng, shuffle } from "../../../src/random.ts";
import { assertClose } from "../../reference/compare.ts";
import {
  inferLogits,
  lossAndGrads,
  type RefBatch,
  type RefParams,
  type RefShape,
} from "../../reference/network.ts";
import { rand, randArray } from "./helpers.ts";

function shapeOf(c: ResolvedConfig): RefShape {
  const { input, hidden, projection, output, tied, batchNorm, bnEps } = c;
  return { input, hidden, projection, output, tied, batchNorm, bnEps };
}

// The net's tensors with prefix `p:` (parameters) or `g:` (gradients), as reference tensors.
function tensorsOf(net: Net, prefix: "p:" | "g:"): RefParams {
  const c = net.config;
  const t = (name: string) => Float64Array.from(net.view(`${prefix}${name}`));
  const has = (name: string) => net.arena.has(`p:${name}`);
  const out: RefParams = {
    W: c.hidden.map((_, l) => t(`W${l}`)),
    b: c.hidden.map((_, l) => t(`b${l}`)),
    gamma: c.batchNorm ? c.hidden.map((_, l) => t(`gamma${l}`)) : [],
    beta: c.batchNorm ? c.hidden.map((_, l) => t(`beta${l}`)) : [],
    bo: t("bo"),
  };
  if (has("E")) out.E = t("E");
  if (has("Wp")) [out.Wp, out.bp] = [t("Wp"), t("bp")];
  if (has("O")) out.O = t("O");
  return out;
}

// Replaces every parameter with seeded values (gamma near 1), so biases and BatchNorm matter.
function randomize(net: Net, seed: number): void {
  const r = rand(seed);
  for (const name of net.stateNames()) {
    if (!name.startsWith("p:")) continue;
    const v = net.view(name);
    const around = name.startsWith("p:gamma") ? 1 : 0;
    for (let i = 0; i < v.length; i++) v[i] = around + r() * 0.5;
  }
}

// Every gradient of the net against the reference, plus the loss; returns the names compared.
function checkGrads(net: Net, batch: RefBatch, loss: number): string[] {
  const e = lossAndGrads(shapeOf(net.config), tensorsOf(net, "p:"), batch);
  assert.ok(Math.abs(loss - e.loss) < 1e-4 * Math.max(1, e.loss), `loss ${loss} vs ${e.loss}`);
  const got = tensorsOf(net, "g:");
  const tol = { atol: 2e-5, rtol: 1e-3 };
  const names: string[] = [];
  const cmp = (name: string, a?: Float64Array, b?: Float64Array) => {
    assert.equal(a === undefined, b === undefined, `${name} present in both or neither`);
    if (!a || !b) return;
    assertClose(`g:${name}`, a, b, tol);
    names.push(name);
  };
  got.W.forEach((_, l) => {
    cmp(`W${l}`, got.W[l], e.grads.W[l]);
    cmp(`b${l}`, got.b[l], e.grads.b[l]);
    if (net.config.batchNorm) {
      cmp(`gamma${l}`, got.gamma[l], e.grads.gamma[l]);
      cmp(`beta${l}`, got.beta[l], e.grads.beta[l]);
    }
  });
  for (const k of ["E", "Wp", "bp", "O", "bo"] as const) cmp(k, got[k], e.grads[k]);
  return names;
}

// A bag batch of B histories × `bags` rows over `V` movies; some rows are left empty.
function bagBatch(r: () => number, s: { B: number; bags: number; V: number }): BagBatch {
  const rows = s.B * s.bags;
  const offsets = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let row = 0; row < rows; row++) {
    const n = row % 5 === 3 ? 0 : 1 + Math.floor((r() + 1) * 2);
    for (let j = 0; j < n; j++) {
      indices.push(Math.floor((r() + 1) / 2 * s.V) % s.V);
      values.push(1 / n);
    }
    offsets[row + 1] = indices.length;
  }
  return { offsets, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

function refBags(b: BagBatch) {
  return { offsets: b.offsets, indices: b.indices, values: b.values };
}

Deno.test("Net gradients equal the reference: dense input, two hidden layers, odd widths, full softmax", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 7 },
      hidden: [13, 9],
      output: 5,
      batchSize: 8,
      seed: 4,
    });
    randomize(net, 20);
    const r = rand(21);
    const x = randArray(6 * 7, r, 2);
    const labels = Int32Array.from([0, 4, 2, 2, 1, 3]);
    net.setBatch({ x, labels });
    const loss = net.forward("train");
    net.backward();
    const names = checkGrads(net, { B: 6, x, labels }, loss);
    assert.deepEqual(names, [
      "W0",
      "b0",
      "gamma0",
      "beta0",
      "W1",
      "b1",
      "gamma1",
      "beta1",
      "O",
      "bo",
    ]);
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients equal the reference for a wide (≥ 1024) output table", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 6 },
      hidden: [9],
      output: 1030,
      batchSize: 5,
      seed: 12,
    });
    randomize(net, 22);
    const x = randArray(5 * 6, rand(23), 2);
    const labels = Int32Array.from([0, 1029, 511, 7, 1024]);
    net.setBatch({ x, labels });
    const loss = net.forward("train");
    net.backward();
    checkGrads(net, { B: 5, x, labels }, loss);
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients equal the reference: bags over a tied embedding with a projection and sampled candidates (correction, mask)", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 3, dim: 4 },
      hidden: [10],
      projection: 4,
      tied: true,
      output: 23,
      batchSize: 4,
      maxCandidates: 8,
      seed: 5,
    });
    randomize(net, 24);
    const r = rand(25);
    const bags = bagBatch(r, { B: 4, bags: 3, V: 23 });
    const labels = Int32Array.from([0, 5, 2, 6]);
    const candidates = Int32Array.from([22, 0, 5, 17, 9, 3, 11]);
    const correction = Float32Array.from([-1, 0.5, 0.1, -2, 0, 1, 0.3]);
    // Row 0 leaves out candidate 1, row 3 candidates 0 and 4.
    const mask = Int32Array.from([0 * 7 + 1, 3 * 7 + 0, 3 * 7 + 4]);
    net.setBatch({ ...bags, labels });
    const loss = net.forward("train", { candidates, correction, mask });
    net.backward();
    const names = checkGrads(net, {
      B: 4,
      bags: refBags(bags),
      labels,
      candidates,
      correction,
      mask,
    }, loss);
    assert.ok(names.includes("E") && names.includes("Wp") && !names.includes("O"));
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients equal the reference: bags, untied output table, no projection, full softmax", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 5 },
      hidden: [6, 7],
      output: 17,
      batchSize: 5,
      seed: 6,
    });
    randomize(net, 26);
    const bags = bagBatch(rand(27), { B: 5, bags: 2, V: 17 });
    const labels = Int32Array.from([16, 0, 3, 3, 9]);
    net.setBatch({ ...bags, labels });
    const loss = net.forward("train");
    net.backward();
    const names = checkGrads(net, { B: 5, bags: refBags(bags), labels }, loss);
    assert.ok(names.includes("E") && names.includes("O") && !names.includes("Wp"));
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients equal the reference: bags, untied output table, sampled candidates with correction", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 3 },
      hidden: [8],
      projection: 5,
      output: 19,
      batchSize: 6,
      maxCandidates: 9,
      seed: 7,
    });
    randomize(net, 28);
    const bags = bagBatch(rand(29), { B: 6, bags: 2, V: 19 });
    const labels = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const candidates = Int32Array.from([4, 18, 7, 0, 12, 3, 9, 15, 1]);
    const correction = randArray(9, rand(30));
    net.setBatch({ ...bags, labels });
    const loss = net.forward("train", { candidates, correction });
    net.backward();
    checkGrads(net, { B: 6, bags: refBags(bags), labels, candidates, correction }, loss);
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients equal the reference: tied full softmax without a projection (last hidden layer = dim)", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 6 },
      hidden: [11, 6],
      tied: true,
      output: 13,
      batchSize: 4,
      seed: 8,
    });
    randomize(net, 31);
    const bags = bagBatch(rand(32), { B: 4, bags: 2, V: 13 });
    const labels = Int32Array.from([12, 0, 6, 1]);
    net.setBatch({ ...bags, labels });
    const loss = net.forward("train");
    net.backward();
    const names = checkGrads(net, { B: 4, bags: refBags(bags), labels }, loss);
    assert.ok(names.includes("E") && !names.includes("O"));
  } finally {
    kernel.close();
  }
});

Deno.test("Net gradients with dropout equal the reference given the masks it drew; dropout 0 draws none", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const config: NetConfig = {
      input: { kind: "bags", bags: 2, dim: 4 },
      hidden: [12, 10],
      output: 11,
      batchSize: 6,
      dropout: 0.3,
      seed: 9,
    };
    const net = Net.create(kernel, config);
    randomize(net, 33);
    const bags = bagBatch(rand(34), { B: 6, bags: 2, V: 11 });
    const labels = Int32Array.from([1, 2, 3, 4, 5, 6]);
    net.setBatch({ ...bags, labels });
    const loss = net.forward("train");
    net.backward();
    const masks = config.hidden.map((F, l) => net.view(`mask${l}`).slice(0, 6 * F));
    const keep = 1 / (1 - 0.3);
    for (const m of masks) {
      assert.ok(m.every((v) => v === 0 || Math.abs(v - keep) < 1e-6), "mask is 0 or 1/(1−p)");
      assert.ok(m.some((v) => v === 0) && m.some((v) => v > 0), "some units dropped, some kept");
    }
    checkGrads(net, { B: 6, bags: refBags(bags), labels, dropoutMasks: masks }, loss);
    // A second training forward draws a fresh mask.
    net.forward("train");
    assert.notDeepEqual(net.view("mask0").slice(0, 6 * 12), masks[0]);
    // Inference never drops: two predictions agree, and a dropout-0 net has no mask at all.
    assert.deepEqual(net.predict(bags).slice(), net.predict(bags).slice());
    const plain = Net.create(kernel, { ...config, dropout: 0 });
    assert.ok(!plain.arena.has("mask0") && !plain.arena.has("hd0"));
    randomize(plain, 33);
    plain.setBatch({ ...bags, labels });
    const plainLoss = plain.forward("train");
    plain.backward();
    checkGrads(plain, { B: 6, bags: refBags(bags), labels }, plainLoss);
  } finally {
    kernel.close();
  }
});

// Rows r of a V×width table that differ between two copies.
function changedRows(before: Float32Array, after: Float32Array, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < before.length / width; r++) {
    for (let j = 0; j < width; j++) {
      if (before[r * width + j] !== after[r * width + j]) {
        rows.push(r);
        break;
      }
    }
  }
  return rows;
}

Deno.test("lazy Adam: embedding and output rows that no batch touched stay bit-identical, and g:E / g:O are zero after each step", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 4 },
      hidden: [8],
      output: 50,
      batchSize: 2,
      maxCandidates: 6,
      seed: 10,
    });
    const [E0, O0] = [net.view("p:E").slice(), net.view("p:O").slice()];
    const steps: { batch: BagBatch; candidates: CandidateOptions }[] = [
      {
        batch: {
          offsets: Int32Array.from([0, 2, 3, 3, 4]),
          indices: Int32Array.from([3, 9, 3, 12]),
          values: Float32Array.from([0.5, 0.5, 1, 1]),
          labels: Int32Array.from([0, 1]),
        },
        candidates: { candidates: Int32Array.from([20, 21, 22]) },
      },
      {
        batch: {
          offsets: Int32Array.from([0, 1, 2, 3, 4]),
          indices: Int32Array.from([9, 40, 3, 41]),
          values: Float32Array.from([1, 1, 1, 1]),
          labels: Int32Array.from([2, 0]),
        },
        candidates: { candidates: Int32Array.from([21, 30, 31]) },
      },
    ];
    for (const { batch, candidates } of steps) {
      net.trainStep(batch, candidates);
      assert.ok(net.view("g:E").every((g) => g === 0), "g:E is all zero after the step");
      assert.ok(net.view("g:O").every((g) => g === 0), "g:O is all zero after the step");
    }
    assert.deepEqual(changedRows(E0, net.view("p:E"), 4), [3, 9, 12, 40, 41]);
    assert.deepEqual(changedRows(O0, net.view("p:O"), 8), [20, 21, 22, 30, 31]);
    // Untouched rows also keep zero moments, so a later touch starts Adam afresh.
    const mE = net.view("m:E");
    assert.ok(mE.subarray(0, 3 * 4).every((v) => v === 0));
  } finally {
    kernel.close();
  }
});

Deno.test("lazy Adam on a tied table updates exactly the bag rows and the candidate rows", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 1, dim: 4 },
      hidden: [8],
      projection: 4,
      tied: true,
      output: 30,
      batchSize: 3,
      maxCandidates: 4,
      seed: 11,
    });
    const E0 = net.view("p:E").slice();
    net.trainStep({
      offsets: Int32Array.from([0, 2, 3, 5]),
      indices: Int32Array.from([1, 7, 7, 2, 1]),
      values: Float32Array.from([0.5, 0.5, 1, 0.5, 0.5]),
      labels: Int32Array.from([0, 1, 2]),
    }, { candidates: Int32Array.from([25, 7, 14]) });
    assert.deepEqual(changedRows(E0, net.view("p:E"), 4), [1, 2, 7, 14, 25]);
    assert.ok(net.view("g:E").every((g) => g === 0));
    // A full softmax touches every row of the tied table.
    const E1 = net.view("p:E").slice();
    net.trainStep({
      offsets: Int32Array.from([0, 1, 2, 3]),
      indices: Int32Array.from([1, 2, 3]),
      values: Float32Array.from([1, 1, 1]),
      labels: Int32Array.from([4, 5, 6]),
    });
    assert.equal(changedRows(E1, net.view("p:E"), 4).length, 30);
    assert.ok(net.view("g:E").every((g) => g === 0));
  } finally {
    kernel.close();
  }
});

Deno.test("batch-1 inference with bags equals the same row of a batch, matches the reference and differs between inputs", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 8 },
      hidden: [16, 12],
      projection: 8,
      tied: true,
      output: 40,
      batchSize: 8,
      seed: 12,
      adam: { lr: 0.01 },
    });
    const r = rand(35);
    for (let s = 0; s < 6; s++) {
      const labels = Int32Array.from({ length: 8 }, (_, j) => (j * 5 + s) % 40);
      net.trainStep({ ...bagBatch(r, { B: 8, bags: 2, V: 40 }), labels });
    }
    assert.ok(net.view("runMean0").some((m) => m !== 0), "running statistics moved");
    const batch = bagBatch(r, { B: 5, bags: 2, V: 40 });
    const all = net.predict(batch).slice();
    const row = (b: number): BagBatch => {
      const [lo, hi] = [batch.offsets[2 * b], batch.offsets[2 * b + 2]];
      return {
        offsets: Int32Array.from(batch.offsets.subarray(2 * b, 2 * b + 3), (o) => o - lo),
        indices: batch.indices.slice(lo, hi),
        values: batch.values.slice(lo, hi),
      };
    };
    const ones = [0, 1, 2, 3, 4].map((b) => net.predict(row(b)).slice());
    ones.forEach((one, b) => {
      assertClose(`batch-1 row ${b}`, one, all.subarray(b * 40, (b + 1) * 40), { atol: 1e-5 });
    });
    assert.notDeepEqual(ones[0], ones[1]);
    const stats = {
      runMean: [0, 1].map((l) => net.view(`runMean${l}`)),
      runVar: [0, 1].map((l) => net.view(`runVar${l}`)),
    };
    const e = inferLogits(shapeOf(net.config), tensorsOf(net, "p:"), stats, {
      B: 5,
      bags: refBags(batch),
      labels: [],
    });
    assertClose("infer logits vs reference", all, e, { atol: 1e-4, rtol: 1e-4 });
    const top = net.topK(3, { scores: ones[0], exclude: [0] });
    assert.equal(top.ids.length, 3);
    assert.ok(!top.ids.includes(0));
    assert.ok(top.scores[0] >= top.scores[1] && top.scores[1] >= top.scores[2]);
  } finally {
    kernel.close();
  }
});

Deno.test("batch-1 dense inference equals the same row of a batch", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 6 },
      hidden: [16, 12],
      output: 9,
      batchSize: 8,
      seed: 7,
      adam: { lr: 0.01 },
    });
    const r = rand(22);
    for (let i = 0; i < 5; i++) {
      net.trainStep({ x: randArray(48, r), labels: Int32Array.from({ length: 8 }, (_, j) => j) });
    }
    const x = randArray(8 * 6, r);
    const batch = net.predict({ x }).slice();
    const one = net.predict({ x: x.subarray(0, 6) }).slice();
    const two = net.predict({ x: x.subarray(6, 12) }).slice();
    assertClose("batch-1 row 0", one, batch.subarray(0, 9), { atol: 1e-5 });
    assertClose("batch-1 row 1", two, batch.subarray(9, 18), { atol: 1e-5 });
    assert.notDeepEqual(one, two);
  } finally {
    kernel.close();
  }
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

Deno.test("a small dense Net learns a separable 10-class problem to at least 95% held-out accuracy", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const B = 32;
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 20 },
      hidden: [32],
      output: 10,
      batchSize: B,
      seed: 8,
      adam: { lr: 0.01 },
    });
    const train = separable(1000, 31);
    const test = separable(500, 32);
    const order = Int32Array.from({ length: 1000 }, (_, i) => i);
    const prng = new Prng(1);
    const [x, labels] = [new Float32Array(B * 20), new Int32Array(B)];
    const losses: number[] = [];
    for (let epoch = 0; epoch < 8; epoch++) {
      shuffle(order, prng);
      let total = 0;
      for (let s = 0; s + B <= 1000; s += B) {
        for (let j = 0; j < B; j++) {
          x.set(train.x.subarray(order[s + j] * 20, order[s + j] * 20 + 20), j * 20);
          labels[j] = train.y[order[s + j]];
        }
        total += net.trainStep({ x, labels });
      }
      losses.push(total);
    }
    assert.ok(losses[7] < losses[0] / 4, `losses ${losses}`);
    let right = 0;
    for (let s = 0; s < 500; s += B) {
      const n = Math.min(B, 500 - s);
      const logits = net.predict({ x: test.x.subarray(s * 20, (s + n) * 20) });
      for (let i = 0; i < n; i++) {
        const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
        if (row.indexOf(Math.max(...row)) === test.y[s + i]) right++;
      }
    }
    assert.ok(right / 500 >= 0.95, `accuracy ${right / 500}`);
  } finally {
    kernel.close();
  }
});

async function denseLosses(threads: number, seed: number): Promise<number[]> {
  const kernel = await Kernel.create({ threads });
  try {
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 40 },
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
      losses.push(net.trainStep({
        x: randArray(64 * 40, r),
        labels: Int32Array.from({ length: 64 }, () => Math.floor((r() + 1) * 25)),
      }));
    }
    return losses;
  } finally {
    kernel.close();
  }
}

Deno.test("two-thread dense training gives the same losses as one thread", async () => {
  const one = await denseLosses(1, 9);
  const two = await denseLosses(2, 9);
  assertClose("losses 2 threads vs 1", two, one, { atol: 1e-5, rtol: 1e-5 });
  assert.ok(one[11] < one[0], "the loss falls while training");
});

async function bagLosses(threads: number): Promise<{ losses: number[]; E: Float32Array }> {
  const kernel = await Kernel.create({ threads });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 3, dim: 16 },
      hidden: [64],
      projection: 16,
      tied: true,
      output: 300,
      batchSize: 32,
      maxCandidates: 72,
      seed: 3,
      parallelMin: 1,
      dropout: 0.1,
    });
    const r = rand(42);
    // One batch seen eight times (dropout differs each time): the loss must fall.
    const bags = bagBatch(r, { B: 32, bags: 3, V: 300 });
    const labels = Int32Array.from({ length: 32 }, (_, i) => i);
    const candidates = Int32Array.from({ length: 72 }, (_, i) => (i * 7) % 300);
    const correction = randArray(72, r);
    const mask = Int32Array.from({ length: 32 }, (_, b) => b * 72 + 40 + (b % 30));
    const losses: number[] = [];
    for (let s = 0; s < 8; s++) {
      losses.push(net.trainStep({ ...bags, labels }, { candidates, correction, mask }));
    }
    return { losses, E: net.view("p:E").slice() };
  } finally {
    kernel.close();
  }
}

Deno.test("two-thread bag training with a sampled softmax gives the same losses as one thread", async () => {
  const one = await bagLosses(1);
  const two = await bagLosses(2);
  assertClose("bag losses 2 threads vs 1", two.losses, one.losses, { atol: 1e-5, rtol: 1e-5 });
  assertClose("embedding 2 threads vs 1", two.E, one.E, { atol: 1e-5, rtol: 1e-4 });
  assert.ok(one.losses[7] < one.losses[0], `the loss falls: ${one.losses}`);
});

Deno.test("training is deterministic for a seed and differs for another seed", async () => {
  const a = await denseLosses(1, 10);
  const b = await denseLosses(1, 10);
  const c = await denseLosses(1, 11);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

// A bad batch is a caller bug inside reelrank (the API validates its input first): INTERNAL, not a 400.
function internalNaming(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ReelrankError && err.code === "INTERNAL" && pattern.test(err.message);
}

Deno.test("setBatch rejects bad dense batches with messages naming the sizes", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "dense", width: 3 },
      hidden: [4],
      output: 2,
      batchSize: 2,
    });
    assert.throws(
      () => net.setBatch({ x: new Float32Array(9) }),
      internalNaming(/9 values: expected k·3 with 1 ≤ k ≤ 2/),
    );
    assert.throws(
      () => net.setBatch({ x: new Float32Array(6), labels: Int32Array.from([0]) }),
      internalNaming(/batch has 2 rows but 1 labels/),
    );
    assert.throws(
      () => net.setBatch({ x: new Float32Array(6), labels: Int32Array.from([0, 2]) }),
      internalNaming(/label 2 of row 1 is outside 0..1/),
    );
    assert.throws(
      () =>
        net.setBatch({
          offsets: Int32Array.of(0, 0),
          indices: new Int32Array(),
          values: new Float32Array(),
        }),
      internalNaming(/takes dense input but got bags/),
    );
  } finally {
    kernel.close();
  }
});

Deno.test("setBatch rejects bad bag batches with messages naming the sizes", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 2, dim: 4 },
      hidden: [4],
      output: 7,
      batchSize: 2,
      maxNnz: 6,
    });
    const ok = {
      offsets: Int32Array.from([0, 1, 3, 3, 4]),
      indices: Int32Array.from([0, 6, 2, 5]),
      values: Float32Array.from([1, 0.5, 0.5, 1]),
    };
    assert.equal(net.setBatch(ok), 2);
    assert.throws(
      () => net.setBatch({ ...ok, offsets: Int32Array.from([0, 1, 3, 4]) }),
      internalNaming(/bag batch has 3 rows and 4 entries: expected k·2 rows \(k ≤ 2\)/),
    );
    assert.throws(
      () => net.setBatch({ ...ok, offsets: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) }),
      internalNaming(/6 rows .* expected k·2 rows \(k ≤ 2\)/),
    );
    assert.throws(
      () =>
        net.setBatch({
          offsets: Int32Array.from([0, 2, 4, 6, 7]),
          indices: new Int32Array(7),
          values: new Float32Array(7),
        }),
      internalNaming(/7 entries: .* ≤ 6 entries/),
    );
    assert.throws(
      () => net.setBatch({ ...ok, indices: Int32Array.from([0, 7, 2, 5]) }),
      internalNaming(/bag item 7 at entry 1 is outside 0..6/),
    );
    assert.throws(
      () => net.setBatch({ ...ok, indices: Int32Array.from([0, 1, -1, 5]) }),
      internalNaming(/bag item -1 at entry 2/),
    );
    assert.throws(
      () => net.setBatch({ ...ok, offsets: Int32Array.from([0, 3, 2, 3, 4]) }),
      internalNaming(/offsets must not decrease, got 3 then 2 at row 1/),
    );
    assert.throws(
      () => net.setBatch({ ...ok, offsets: Int32Array.from([1, 1, 3, 3, 4]) }),
      internalNaming(/offsets must start at 0, got 1/),
    );
    assert.throws(
      () => net.setBatch({ x: new Float32Array(8) }),
      internalNaming(/takes bags but got a dense batch/),
    );
  } finally {
    kernel.close();
  }
});

Deno.test("a training forward rejects bad candidates, corrections and masks by value", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 1, dim: 4 },
      hidden: [4],
      output: 7,
      batchSize: 2,
      maxCandidates: 3,
    });
    net.setBatch({
      offsets: Int32Array.from([0, 1, 2]),
      indices: Int32Array.from([0, 1]),
      values: Float32Array.from([1, 1]),
      labels: Int32Array.from([0, 2]),
    });
    const train = (o: CandidateOptions) => () => net.forward("train", o);
    assert.throws(
      train({ candidates: Int32Array.from([1, 2, 3, 4]) }),
      internalNaming(/got 4 candidates: expected 1..3/),
    );
    assert.throws(
      train({ candidates: Int32Array.from([1, 9, 3]) }),
      internalNaming(/candidate 9 is outside 0..6/),
    );
    assert.throws(
      train({ candidates: Int32Array.from([1, 2]) }),
      internalNaming(/label 2 does not index the 2 candidates/),
    );
    assert.throws(
      train({ candidates: Int32Array.from([1, 2, 3]), correction: new Float32Array(2) }),
      internalNaming(/correction has 2 values for 3 candidates/),
    );
    assert.throws(
      train({ candidates: Int32Array.from([1, 2, 3]), mask: Int32Array.from([6]) }),
      internalNaming(/mask entry 6 is outside 0..5/),
    );
    assert.ok(Number.isFinite(net.forward("train", { candidates: Int32Array.from([1, 2, 3]) })));
  } finally {
    kernel.close();
  }
});

Deno.test("an inference-only Net (training: false) predicts but refuses to train, with no gradient slabs", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 1, dim: 4 },
      hidden: [4],
      output: 7,
      batchSize: 2,
      training: false,
    });
    const batch = {
      offsets: Int32Array.from([0, 1]),
      indices: Int32Array.from([3]),
      values: Float32Array.from([1]),
      labels: Int32Array.from([1]),
    };
    assert.equal(net.predict(batch).length, 7);
    assert.ok(!net.arena.has("g:E") && !net.arena.has("m:W0"));
    const internal = (what: RegExp) => (err: unknown) =>
      err instanceof ReelrankError && err.code === "INTERNAL" && what.test(err.message) &&
      /training: false/.test(err.message);
    assert.throws(() => net.forward("train"), internal(/forward\("train"\)/));
    assert.throws(() => net.backward(), internal(/backward\(\)/));
    assert.throws(() => net.trainStep(batch), internal(/forward\("train"\)/));
  } finally {
    kernel.close();
  }
});

Deno.test("a kernel op that traps in a thread is reported as an INTERNAL error and the pool still works", async () => {
  const kernel = await Kernel.create({ threads: 2 });
  try {
    const n = 1 << 16;
    const adam = (p: number) => ({
      param: p,
      grad: p + 4 * n,
      m: p + 8 * n,
      v: p + 12 * n,
      n,
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      step: 1,
    });
    // An offset far past the memory makes every chunk's first load trap.
    assert.throws(
      () => kernel.split("adamStep", adam(0x7ff00000), { chunk: 4096 }),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "INTERNAL" &&
        /kernel op adamStep failed in a thread/.test(err.message),
    );
    // The pool still works afterwards: every element gets its first Adam step, −lr·sign(g).
    const at = kernel.alloc(16 * n);
    kernel.f32(at + 4 * n, n).fill(1);
    kernel.split("adamStep", adam(at), { chunk: 4096 });
    assert.ok(kernel.f32(at, n).every((p) => Math.abs(p + 0.1) < 1e-6));
  } finally {
    kernel.close();
  }
});
