/** Checkpoints (v2, and v3 with extra tensors): exact float32 round trip, float16 / 8-bit tables within bounds, and every kind of damage refused as CORRUPT. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import {
  CHECKPOINT_VERSION,
  loadCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  type TableDtype,
} from "../../../src/model/network/checkpoint.ts";
import type { NetConfig } from "../../../src/model/network/config.ts";
import { type BagBatch, Net } from "../../../src/model/network/net.ts";
import { rand } from "./helpers.ts";

const V = 60;
const CONFIG: NetConfig = {
  input: { kind: "bags", bags: 2, dim: 8 },
  hidden: [16, 12],
  output: V,
  batchSize: 16,
  maxCandidates: 40,
  seed: 3,
  adam: { lr: 0.01 },
};

function bags(r: () => number, B: number): BagBatch {
  const offsets = Int32Array.from({ length: 2 * B + 1 }, (_, i) => 3 * i);
  const indices = Int32Array.from({ length: 6 * B }, () => Math.floor((r() + 1) / 2 * V) % V);
  return { offsets, indices, values: new Float32Array(6 * B).fill(1 / 3) };
}

// An untied bag network (both row tables E and O stored) after a few sampled-softmax steps.
function trained(kernel: Kernel): Net {
  const net = Net.create(kernel, CONFIG);
  const r = rand(5);
  for (let s = 0; s < 4; s++) {
    net.trainStep({ ...bags(r, 16), labels: Int32Array.from({ length: 16 }, (_, i) => i) }, {
      candidates: Int32Array.from({ length: 40 }, (_, i) => (i * 3 + s) % V),
    });
  }
  return net;
}

function isCorrupt(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ReelrankError && err.code === "CORRUPT" && pattern.test(err.message);
}

// Recomputes the sha256 trailer after an edit, so a test reaches the checks behind the hash.
async function resign(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const body = bytes.subarray(0, bytes.length - 32);
  bytes.set(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), bytes.length - 32);
  return bytes;
}

Deno.test("a float32 checkpoint round trip gives bit-identical logits and keeps metadata, steps and BatchNorm statistics", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = trained(kernel);
    const batch = bags(rand(6), 5);
    const before = net.predict(batch).slice();
    const bytes = await saveCheckpoint(net, {
      metadata: { runId: "run-1", vocabulary: [10, 20, 30] },
      tables: "f32",
    });
    const { net: loaded, metadata, sha256 } = await loadCheckpoint(kernel, bytes);
    assert.deepEqual(loaded.predict(batch), before);
    assert.deepEqual(metadata, { runId: "run-1", vocabulary: [10, 20, 30] });
    assert.match(sha256, /^[0-9a-f]{64}$/);
    assert.equal(loaded.steps, 4);
    for (const name of net.stateNames()) assert.deepEqual(loaded.view(name), net.view(name), name);
    assert.ok(net.stateNames().includes("runVar1") && net.stateNames().includes("p:O"));
  } finally {
    kernel.close();
  }
});

Deno.test("float16 and 8-bit tables stay within their error bounds, other tensors stay exact, and i8 < f16 < f32 in size", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = trained(kernel);
    const sizes: Record<TableDtype, number> = { f32: 0, f16: 0, i8: 0 };
    const payload: Record<TableDtype, number> = { f32: 0, f16: 0, i8: 0 };
    for (const tables of ["f32", "f16", "i8"] as const) {
      const bytes = await saveCheckpoint(net, { tables });
      sizes[tables] = bytes.length;
      // Header: magic, version, dim count, tensor count, then the tensor bytes at offset 20.
      payload[tables] = new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true);
      const ck = await readCheckpoint(bytes);
      for (const name of net.stateNames()) {
        const [want, got] = [net.view(name), ck.tensors.get(name)!];
        assert.equal(got.length, want.length, name);
        const table = name === "p:E" || name === "p:O";
        if (!table || tables === "f32") {
          assert.deepEqual(got, want, `${name} is stored exactly`);
          continue;
        }
        const width = want.length / V;
        for (let r = 0; r < V; r++) {
          let rowMax = 0;
          for (let j = 0; j < width; j++) rowMax = Math.max(rowMax, Math.abs(want[r * width + j]));
          for (let j = 0; j < width; j++) {
            const i = r * width + j;
            // f16: half an ulp (2^-11 relative) above the normal range; i8: half a step of
            // max|row|/127.
            const bound = tables === "f16"
              ? Math.abs(want[i]) * 2 ** -11 + 2 ** -25
              : rowMax / 254 * (1 + 1e-6);
            assert.ok(
              Math.abs(got[i] - want[i]) <= bound,
              `${tables} ${name}[${i}]: ${got[i]} vs ${want[i]} (bound ${bound})`,
            );
          }
        }
      }
    }
    assert.ok(sizes.i8 < sizes.f16 && sizes.f16 < sizes.f32, JSON.stringify(sizes));
    // The two tables are V·(8 + 12) floats: f16 saves half of their bytes, i8 three quarters
    // less one f32 scale per row.
    assert.equal(payload.f32 - payload.f16, 2 * V * 20);
    assert.equal(payload.f32 - payload.i8, 3 * V * 20 - 2 * 4 * V);
    // Logits of the quantised copies stay close to the float32 ones.
    const batch = bags(rand(7), 8);
    const exact = net.predict(batch).slice();
    for (const [tables, tol] of [["f16", 2e-3], ["i8", 2e-2]] as const) {
      const { net: copy } = await loadCheckpoint(kernel, await saveCheckpoint(net, { tables }));
      const got = copy.predict(batch);
      let worst = 0;
      for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i] - exact[i]));
      assert.ok(worst < tol, `${tables}: max logit error ${worst}`);
      assert.ok(worst > 0, `${tables} tables are really quantised`);
    }
  } finally {
    kernel.close();
  }
});

Deno.test("the default table storage is float16", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = trained(kernel);
    const [byDefault, f16] = [
      await saveCheckpoint(net),
      await saveCheckpoint(net, { tables: "f16" }),
    ];
    assert.deepEqual(byDefault, f16);
  } finally {
    kernel.close();
  }
});

Deno.test("a truncated checkpoint is refused as CORRUPT, naming the sizes", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const bytes = await saveCheckpoint(trained(kernel));
    await assert.rejects(
      readCheckpoint(bytes.subarray(0, bytes.length - 100)),
      isCorrupt(
        new RegExp(
          `size is ${
            bytes.length - 100
          } bytes, its header implies ${bytes.length}: truncated or padded`,
        ),
      ),
    );
    await assert.rejects(readCheckpoint(bytes.subarray(0, 10)), isCorrupt(/truncated: 10 bytes/));
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    await assert.rejects(readCheckpoint(padded), isCorrupt(/truncated or padded/));
  } finally {
    kernel.close();
  }
});

Deno.test("a flipped byte in the header dims, the tensors, the manifest or the trailer is refused as CORRUPT (sha256)", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const bytes = await saveCheckpoint(trained(kernel));
    for (const at of [30, 200, bytes.length - 40, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x10;
      await assert.rejects(readCheckpoint(bad), isCorrupt(/sha256 mismatch/), `byte ${at}`);
    }
  } finally {
    kernel.close();
  }
});

Deno.test("a file with another magic or format version is refused as CORRUPT", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const bytes = await saveCheckpoint(trained(kernel));
    const magic = bytes.slice();
    magic[0] = 0x50;
    await assert.rejects(
      readCheckpoint(magic),
      isCorrupt(/not a reelrank checkpoint: magic "PRNETCK/),
    );
    const version = bytes.slice();
    version[8] = 9;
    await assert.rejects(
      readCheckpoint(version),
      isCorrupt(/version 9 is not supported, expected one of 2, 3/),
    );
    const v1 = bytes.slice();
    v1[8] = 1;
    await assert.rejects(readCheckpoint(v1), isCorrupt(/version 1 is not supported/));
  } finally {
    kernel.close();
  }
});

Deno.test("extra tensors make a version 3 file (int32 exact, floats like the tables); without them the file is version 2", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = trained(kernel);
    const version = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(8, true);
    const plain = await saveCheckpoint(net);
    assert.equal(version(plain), 2);
    assert.equal((await readCheckpoint(plain)).extra.size, 0);
    const ids = Int32Array.from([0, 3, 2 ** 31 - 1, -7]);
    const vals = Float32Array.from([0.1, 1 / 3, 0.000123, 2]);
    for (const tables of ["f32", "f16"] as const) {
      const extra = new Map<string, Int32Array | Float32Array>([["x:ids", ids], ["x:vals", vals]]);
      const bytes = await saveCheckpoint(net, { tables, extra });
      assert.equal(version(bytes), CHECKPOINT_VERSION);
      assert.equal(CHECKPOINT_VERSION, 3);
      const ck = await readCheckpoint(bytes);
      assert.deepEqual(ck.extra.get("x:ids"), ids);
      const got = ck.extra.get("x:vals")!;
      assert.ok(got instanceof Float32Array);
      vals.forEach((v, i) =>
        assert.ok(
          Math.abs(got[i] - v) <= (tables === "f32" ? 0 : Math.abs(v) * 2 ** -11 + 2 ** -25),
        )
      );
      // The network itself loads as from a version 2 file.
      const { net: loaded, extra: loadedExtra } = await loadCheckpoint(kernel, bytes);
      assert.deepEqual(
        loaded.view("p:E"),
        (await loadCheckpoint(kernel, await saveCheckpoint(net, { tables }))).net.view("p:E"),
      );
      assert.deepEqual(loadedExtra.get("x:ids"), ids);
    }
    // An extra tensor must be named x:…, and a version 2 file cannot carry one.
    await assert.rejects(
      saveCheckpoint(net, { extra: new Map([["p:E", ids]]) }),
      /extra checkpoint tensor names start with "x:"/,
    );
    const v2 = (await saveCheckpoint(net, { extra: new Map([["x:ids", ids]]) })).slice();
    v2[8] = 2;
    await assert.rejects(
      readCheckpoint(await resign(v2)),
      isCorrupt(/version 2 cannot hold extra tensor x:ids/),
    );
  } finally {
    kernel.close();
  }
});

Deno.test("a consistently signed file whose header dims disagree with its manifest is refused as CORRUPT", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const bytes = await saveCheckpoint(trained(kernel));
    // dims = [input width, ...hidden, projection, output]: the first hidden size sits at byte 32.
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(32, 17, true);
    await assert.rejects(
      readCheckpoint(await resign(bad)),
      isCorrupt(/shape differs from its header dims 16,17,12,0,60/),
    );
  } finally {
    kernel.close();
  }
});

Deno.test("loadCheckpoint with overrides (training: false, another batchSize) gives identical logits and refuses to train", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = trained(kernel);
    const batch = bags(rand(8), 3);
    const before = net.predict(batch).slice();
    const bytes = await saveCheckpoint(net, { tables: "f32" });
    const { net: lean } = await loadCheckpoint(kernel, bytes, { batchSize: 3, training: false });
    assert.equal(lean.config.batchSize, 3);
    assert.deepEqual(lean.predict(batch), before);
    const one = bags(rand(8), 1);
    assert.deepEqual(lean.predict(one), net.predict(one));
    assert.ok(!lean.arena.has("g:W0") && !lean.arena.has("m:E"), "no gradient or Adam slabs");
    assert.ok(lean.arena.layout.bytes < net.arena.layout.bytes);
    assert.throws(() => lean.backward(), /training: false/);
    assert.throws(() => lean.setBatch(bags(rand(9), 4)), /k ≤ 3/);
  } finally {
    kernel.close();
  }
});
