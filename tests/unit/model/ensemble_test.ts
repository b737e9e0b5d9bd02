import assert from "node:assert/strict";
import { foldMembers } from "../../../src/model/ensemble.ts";
import { Kernel } from "../../../src/model/kernel.ts";
import { Mlp } from "../../../src/model/mlp.ts";
import type { MlpConfig } from "../../../src/model/mlp_config.ts";
import { rand, randArray } from "./helpers.ts";

Deno.test("foldMembers() builds one network whose logits are the members' mean logits", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const config: MlpConfig = { input: 11, hidden: [8, 6], output: 7, batchSize: 5, dropout: 0.2 };
    const r = rand(42);
    const members = [1, 2, 3].map((seed) => {
      const mlp = Mlp.create(kernel, { ...config, seed });
      // Non-trivial BatchNorm state, so the fold must carry every tensor across.
      for (const name of mlp.stateNames()) {
        const v = mlp.view(name);
        v.set(
          name.startsWith("runVar")
            ? randArray(v.length, r).map((x) => 1 + Math.abs(x))
            : randArray(v.length, r),
        );
      }
      return mlp;
    });
    const x = randArray(5 * 11, r);
    const expected = new Float32Array(5 * 7);
    for (const m of members) {
      const logits = m.predict({ x });
      for (let i = 0; i < expected.length; i++) expected[i] += logits[i] / members.length;
    }
    const folded = foldMembers(
      kernel,
      members.map((m) => ({
        config: { ...config, seed: m.config.seed },
        state: new Map(m.stateNames().map((n) => [n, m.view(n).slice()])),
      })),
      { batchSize: 5 },
    );
    assert.deepEqual(folded.config.hidden, [24, 18]);
    const got = folded.predict({ x });
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    }
    assert.ok(worst < 1e-4, `max |folded − mean| = ${worst}`);
  } finally {
    kernel.close();
  }
});

Deno.test("foldMembers() refuses an empty ensemble", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    assert.throws(() => foldMembers(kernel, [], { batchSize: 1 }), /at least one member/);
  } finally {
    kernel.close();
  }
});
