/** foldMembers: M networks become one whose logits are the members' mean, for every output layout. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { loadCheckpoint, saveCheckpoint } from "../../../src/model/network/checkpoint.ts";
import {
  inferenceMacs,
  type NetConfig,
  outputWidth,
  resolveConfig,
} from "../../../src/model/network/config.ts";
import { foldedConfig, foldMembers, type Member } from "../../../src/model/network/fold.ts";
import { type BagBatch, Net } from "../../../src/model/network/net.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { rand, randArray } from "./helpers.ts";

const V = 31;

// A batch of B histories × 3 bags; history 1's bags are empty (the cold-start row).
function batch(r: () => number, B: number): BagBatch {
  const offsets = [0];
  const indices: number[] = [];
  for (let row = 0; row < 3 * B; row++) {
    const n = Math.floor(row / 3) === 1 ? 0 : 1 + (row % 4);
    for (let j = 0; j < n; j++) indices.push(Math.floor((r() + 1) / 2 * V) % V);
    offsets.push(indices.length);
  }
  return {
    offsets: Int32Array.from(offsets),
    indices: Int32Array.from(indices),
    values: Float32Array.from(indices, () => 0.3 + (r() + 1) / 4),
  };
}

// M members of `config` with random parameters and BatchNorm statistics, so every tensor counts.
function members(kernel: Kernel, config: NetConfig, M: number): { nets: Net[]; members: Member[] } {
  const r = rand(40 + M);
  const nets = Array.from({ length: M }, (_, m) => {
    const net = Net.create(kernel, { ...config, seed: m + 1 });
    for (const name of net.stateNames()) {
      const v = net.view(name);
      if (name.startsWith("runVar")) v.set(randArray(v.length, r).map((x) => 0.5 + Math.abs(x)));
      else if (name.startsWith("p:gamma")) v.set(randArray(v.length, r).map((x) => 1 + x / 2));
      else v.set(randArray(v.length, r, 0.7));
    }
    return net;
  });
  return {
    nets,
    members: nets.map((net) => ({
      config: { ...config, seed: net.config.seed },
      state: new Map(net.stateNames().map((n) => [n, net.view(n).slice()])),
    })),
  };
}

function meanLogits(nets: Net[], b: BagBatch): Float32Array {
  let out: Float32Array | undefined;
  for (const net of nets) {
    const logits = net.predict(b);
    out ??= new Float32Array(logits.length);
    for (let i = 0; i < out.length; i++) out[i] += logits[i] / nets.length;
  }
  return out!;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const BASE: NetConfig = {
  input: { kind: "bags", bags: 3, dim: 6 },
  hidden: [8],
  output: V,
  batchSize: 5,
  dropout: 0.2,
};

const CASES: [string, NetConfig][] = [
  ["tied with a projection", { ...BASE, hidden: [10, 8], projection: 6, tied: true }],
  ["tied without a projection (last hidden = dim)", { ...BASE, hidden: [9, 6], tied: true }],
  ["untied without a projection", { ...BASE, hidden: [7, 5] }],
  ["untied with a projection", { ...BASE, projection: 4 }],
  ["untied without BatchNorm", { ...BASE, hidden: [7, 5], batchNorm: false }],
];

for (const [label, config] of CASES) {
  Deno.test(`foldMembers() logits equal the members' mean logits for a batch and for batch 1: ${label}`, async () => {
    const kernel = await Kernel.create({ threads: 1 });
    try {
      const M = 3;
      const { nets, members: ms } = members(kernel, config, M);
      const folded = foldMembers(kernel, ms, { batchSize: 5 });
      const c = folded.config;
      assert.deepEqual(c.hidden, config.hidden.map((h) => h * M));
      assert.deepEqual(c.input, { kind: "bags", bags: 3, dim: 6 * M });
      assert.equal(c.training, false);
      const r = rand(7);
      const b = batch(r, 5);
      const d = maxDiff(folded.predict(b).slice(), meanLogits(nets, b));
      assert.ok(d < 1e-4, `batch: max |folded − mean| = ${d}`);
      for (let h = 0; h < 3; h++) {
        const one = batch(r, 1);
        const d1 = maxDiff(folded.predict(one).slice(), meanLogits(nets, one));
        assert.ok(d1 < 1e-4, `batch 1 (#${h}): max |folded − mean| = ${d1}`);
      }
      // Not trivially equal: the members disagree with each other.
      assert.ok(maxDiff(nets[0].predict(b).slice(), nets[1].predict(b).slice()) > 0.1);
    } finally {
      kernel.close();
    }
  });
}

Deno.test("foldedConfig() widens every layer by M and keeps a tied table tied", () => {
  const c = foldedConfig({ ...BASE, projection: 6, tied: true, maxCandidates: 40 }, 4);
  assert.deepEqual(c.input, { kind: "bags", bags: 3, dim: 24 });
  assert.deepEqual(c.hidden, [32]);
  assert.equal(c.projection, 24);
  assert.equal(c.tied, true);
  assert.equal(c.maxCandidates, 0);
  assert.equal(c.dropout, 0);
});

Deno.test("foldMembers() refuses an empty ensemble, a dense-input member and a member missing a tensor", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    assert.throws(() => foldMembers(kernel, [], { batchSize: 1 }), /at least one member/);
    const dense: NetConfig = {
      input: { kind: "dense", width: 4 },
      hidden: [3],
      output: 5,
      batchSize: 2,
    };
    assert.throws(
      () => foldMembers(kernel, [{ config: dense, state: new Map() }], { batchSize: 1 }),
      /only bag-input networks are folded/,
    );
    const { members: ms } = members(kernel, BASE, 2);
    ms[1].state.delete("p:W0");
    assert.throws(() => foldMembers(kernel, ms, { batchSize: 1 }), /member 2 has no tensor p:W0/);
  } finally {
    kernel.close();
  }
});

Deno.test("a folded (grouped) network survives a float32 checkpoint round trip with identical logits", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { members: ms } = members(
      kernel,
      { ...BASE, hidden: [10, 8], projection: 6, tied: true },
      2,
    );
    const folded = foldMembers(kernel, ms, { batchSize: 5 });
    assert.equal(folded.config.groups, 2);
    const b = batch(rand(9), 5);
    const before = folded.predict(b).slice();
    const { net } = await loadCheckpoint(kernel, await saveCheckpoint(folded, { tables: "f32" }));
    assert.equal(net.config.groups, 2);
    assert.equal(net.config.training, false, "a grouped network loads inference-only");
    assert.deepEqual(net.predict(b), before);
  } finally {
    kernel.close();
  }
});

Deno.test("a folded network costs M members' bag sums and hidden layers plus one wide output layer", () => {
  const member = resolveConfig({ ...BASE, hidden: [10, 8], projection: 6, tied: true });
  const M = 3;
  const folded = resolveConfig(foldedConfig(member, M));
  const nnz = 40;
  const head = (c: typeof member) => outputWidth(c) * c.output;
  assert.equal(
    inferenceMacs(folded, nnz),
    M * (inferenceMacs(member, nnz) - head(member)) + head(folded),
  );
  assert.equal(head(folded), M * head(member));
});

Deno.test("a grouped network must be inference-only with bags input and widths divisible by its groups", () => {
  const grouped = { ...BASE, dim: 6, hidden: [8], groups: 2, training: false };
  const refused = (c: NetConfig) =>
    assert.throws(
      () => resolveConfig(c),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "INVALID_PARAMETER" &&
        /network of 2 groups must be inference-only/.test(err.message),
    );
  assert.equal(resolveConfig(grouped).groups, 2);
  refused({ ...grouped, training: true });
  refused({ ...grouped, hidden: [9] });
  refused({ ...grouped, input: { kind: "bags", bags: 3, dim: 5 } });
  refused({ ...grouped, input: { kind: "dense", width: 8 } });
});
