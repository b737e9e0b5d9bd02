/** Checkpoints: bit-identical round trip, metadata kept, and every kind of damage refused as CORRUPT. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel.ts";
import { Mlp } from "../../../src/model/mlp.ts";
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from "../../../src/model/checkpoint.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { rand, randArray } from "./helpers.ts";

function trained(kernel: Kernel): Mlp {
  const mlp = Mlp.create(kernel, { input: 12, hidden: [16, 8], output: 7, batchSize: 16, seed: 3 });
  const r = rand(5);
  for (let s = 0; s < 4; s++) {
    mlp.trainStep({
      x: randArray(16 * 12, r),
      labels: Int32Array.from({ length: 16 }, (_, i) => i % 7),
    });
  }
  return mlp;
}

function isCorrupt(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ReelrankError && err.code === "CORRUPT" && pattern.test(err.message);
}

Deno.test("a checkpoint round trip gives bit-identical outputs and keeps the metadata", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = trained(kernel);
  const x = randArray(5 * 12, rand(6));
  const before = mlp.predict({ x }).slice();
  const bytes = await saveCheckpoint(mlp, { runId: "run-1", vocabulary: [10, 20, 30] });
  const { mlp: loaded, metadata, sha256 } = await loadCheckpoint(kernel, bytes, { batchSize: 5 });
  assert.deepEqual(loaded.predict({ x }), before);
  assert.deepEqual(metadata, { runId: "run-1", vocabulary: [10, 20, 30] });
  assert.match(sha256, /^[0-9a-f]{64}$/);
  assert.equal(loaded.steps, 4);
  assert.deepEqual(loaded.view("runVar0"), mlp.view("runVar0"));
  kernel.close();
});

Deno.test("a truncated checkpoint is refused as CORRUPT", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const bytes = await saveCheckpoint(trained(kernel));
  await assert.rejects(
    readCheckpoint(bytes.subarray(0, bytes.length - 100)),
    isCorrupt(/truncated or padded/),
  );
  await assert.rejects(readCheckpoint(bytes.subarray(0, 10)), isCorrupt(/truncated/));
  kernel.close();
});

Deno.test("a flipped byte in the tensors or the manifest is refused as CORRUPT (sha256)", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const bytes = await saveCheckpoint(trained(kernel));
  for (const at of [200, bytes.length - 40]) {
    const bad = bytes.slice();
    bad[at] ^= 0x10;
    await assert.rejects(readCheckpoint(bad), isCorrupt(/sha256 mismatch/), `byte ${at}`);
  }
  kernel.close();
});

Deno.test("a file with another magic or format version is refused as CORRUPT", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const bytes = await saveCheckpoint(trained(kernel));
  const magic = bytes.slice();
  magic[0] = 0x50;
  await assert.rejects(readCheckpoint(magic), isCorrupt(/not a reelrank checkpoint/));
  const version = bytes.slice();
  version[8] = 9;
  await assert.rejects(readCheckpoint(version), isCorrupt(/version 9 is not supported/));
  kernel.close();
});

Deno.test("a lean inference copy (training: false) predicts identically and refuses to train", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  const mlp = trained(kernel);
  const x = randArray(3 * 12, rand(7));
  const before = mlp.predict({ x }).slice();
  const lean =
    (await loadCheckpoint(kernel, await saveCheckpoint(mlp), { batchSize: 3, training: false }))
      .mlp;
  assert.deepEqual(lean.predict({ x }), before);
  assert.ok(
    !lean.layout.slots.has("g:W0") && !lean.layout.slots.has("m:W0"),
    "no gradient or Adam slabs",
  );
  assert.throws(() => lean.backward(), /training: false/);
  kernel.close();
});
