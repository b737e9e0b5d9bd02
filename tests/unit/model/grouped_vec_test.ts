/** One history through a grouped network (denseForwardVec per group) equals the same history in a batch (gemm), to the bit. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { Net } from "../../../src/model/network/net.ts";
import {
  CsrBuilder,
  DEFAULT_FEATURES,
  encodeHistory,
} from "../../../src/features/history_features.ts";
import { rand, randArray } from "./helpers.ts";

Deno.test("a grouped inference network scores one history as it does inside a batch", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 4, dim: 16 },
      hidden: [32],
      projection: 16,
      tied: true,
      groups: 2,
      output: 300,
      batchSize: 8,
      training: false,
      seed: 6,
    });
    // Non-trivial BatchNorm statistics and biases, so every term of the sums matters.
    const r = rand(3);
    net.view("runMean0").set(randArray(32, r, 0.1));
    net.view("p:b0").set(randArray(32, r, 0.5));
    net.view("p:bp").set(randArray(16, r, 0.5));
    const encode = (hs: number[][]) => {
      const csr = new CsrBuilder();
      for (const h of hs) encodeHistory(h, DEFAULT_FEATURES, { out: csr });
      return csr.build();
    };
    const history = [3, 14, 15, 92, 65, 35];
    const alone = net.represent(encode([history])).slice();
    // The one-history path gathers each group's inputs into the probs scratch: last of all, the
    // projection's group 1, which reads the hidden layer's second half.
    const h = net.view("h0").slice(16, 32);
    assert.deepEqual(net.view("probs").slice(0, 16), h);
    const batched = net.represent(encode([[7, 8], history, []])).slice(16, 32);
    assert.ok(alone.some((v) => v !== 0));
    alone.forEach((v, i) => assert.ok(Object.is(v, batched[i]), `u[${i}]: ${v} vs ${batched[i]}`));
  } finally {
    kernel.close();
  }
});
