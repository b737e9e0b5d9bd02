/** Batched top-k: the kernel's topKRows against a plain sort, and recommendMany's two paths agreeing. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { Net } from "../../../src/model/network/net.ts";
import {
  CsrBuilder,
  DEFAULT_FEATURES,
  encodeHistory,
} from "../../../src/features/history_features.ts";
import { Prng } from "../../../src/random.ts";

// The reference: indices by (score desc, index asc), skipping excluded, masked and −∞ entries.
function refTop(scores: Float32Array, k: number, skip: Set<number>): number[] {
  return Array.from(scores.keys())
    .filter((i) => !skip.has(i) && scores[i] !== -Infinity && !Number.isNaN(scores[i]))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, k);
}

Deno.test("topKRows() gives every row its own top-k after its exclusions and allow mask, ties by lower index", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const [B, N, k] = [5, 203, 17];
    const prng = new Prng(4);
    // Coarse scores so ties are common; a NaN and a −∞ that must never be selected.
    const scores = Float32Array.from({ length: B * N }, () => Math.floor(prng.next() * 20));
    scores[3] = NaN;
    scores[N + 7] = -Infinity;
    const exclude = [
      [0, 1, 2],
      [],
      [5, 5, 999, -1],
      [200],
      Array.from({ length: N - 3 }, (_, i) => i),
    ];
    const allow = new Uint8Array(B * N).fill(1);
    for (let i = 0; i < N; i += 3) allow[2 * N + i] = 0;
    const at = (n: number) => kernel.alloc(Math.max(4, n));
    const [pScores, pIdx, pScore, pCount] = [
      at(4 * B * N),
      at(4 * B * k),
      at(4 * B * k),
      at(4 * B),
    ];
    const offsets = [0];
    for (const e of exclude) offsets.push(offsets[offsets.length - 1] + e.length);
    const [pEx, pOff, pAllow] = [at(4 * offsets[B]), at(4 * (B + 1)), at(B * N)];
    kernel.f32(pScores, B * N).set(scores);
    kernel.i32(pEx, offsets[B]).set(exclude.flat());
    kernel.i32(pOff, B + 1).set(offsets);
    kernel.u8(pAllow, B * N).set(allow);
    kernel.run("topKRows", {
      outIdx: pIdx,
      outScore: pScore,
      counts: pCount,
      scores: pScores,
      exclude: pEx,
      exOffsets: pOff,
      allow: pAllow,
      N,
      k,
      B,
    });
    const counts = kernel.i32(pCount, B);
    for (let b = 0; b < B; b++) {
      const skip = new Set(exclude[b]);
      for (let i = 0; i < N; i++) if (!allow[b * N + i]) skip.add(i);
      const want = refTop(scores.subarray(b * N, (b + 1) * N), k, skip);
      const got = Array.from(kernel.i32(pIdx + 4 * b * k, counts[b]));
      assert.deepEqual(got, want, `row ${b}`);
    }
    assert.equal(counts[4], 3, "a row with only 3 candidates left returns 3");
  } finally {
    kernel.close();
  }
});

Deno.test("Net.topKRows() equals topK() row by row on the logits of an inference batch", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 4, dim: 8 },
      hidden: [16],
      projection: 8,
      tied: true,
      output: 300,
      batchSize: 8,
      training: false,
      seed: 2,
    });
    const csr = new CsrBuilder();
    const histories = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9, 10, 299]];
    for (const h of histories) encodeHistory(h, DEFAULT_FEATURES, { out: csr });
    const batch = csr.build();
    const logits = net.predict(batch).slice();
    const allow = new Uint8Array(300).fill(1).map((_, i) => (i % 2 ? 1 : 0));
    const top = net.topKRows(10, {
      exclude: histories,
      allow: [undefined, allow, undefined, allow],
    });
    histories.forEach((h, b) => {
      const row = logits.slice(b * 300, (b + 1) * 300);
      if (b % 2) { for (let i = 0; i < 300; i += 2) row[i] = -Infinity; }
      const one = net.topK(10, { exclude: h, scores: row });
      assert.deepEqual(
        Array.from(top.ids.subarray(b * 10, b * 10 + top.counts[b])),
        Array.from(one.ids),
      );
    });
    assert.throws(() => net.topKRows(129, { exclude: histories }), /1\.\.128/);
  } finally {
    kernel.close();
  }
});

Deno.test("recommendMany() answers the same through the batched top-k (k ≤ 128) and the per-row one", async () => {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { Recommender } = await import("../../../src/model/recommender.ts");
    const net = Net.create(kernel, {
      input: { kind: "bags", bags: 4, dim: 8 },
      hidden: [16],
      projection: 8,
      tied: true,
      output: 400,
      batchSize: 16,
      training: false,
      seed: 3,
    });
    const itemIds = Array.from({ length: 400 }, (_, i) => 10 * i + 7);
    const model = new Recommender(net, { itemIds, features: DEFAULT_FEATURES });
    const requests: { history: number[]; k: number; exclude?: number[]; allow?: Uint8Array }[] = [
      { history: [7, 17, 27], k: 20 },
      { history: [], k: 5, exclude: [7] },
      { history: [3997, 1007], k: 12, allow: model.maskOf(itemIds.slice(0, 50)) },
    ];
    const batched = model.recommendMany(requests);
    const wide = model.recommendMany(requests.map((r) => ({ ...r, k: 200 })));
    requests.forEach((r, i) => {
      assert.deepEqual(batched[i], wide[i].slice(0, r.k), `request ${i}`);
      for (const s of batched[i]) assert.ok(!r.history.includes(s.movieId));
    });
    assert.ok(batched[1].every((s) => s.movieId !== 7));
    assert.ok(batched[2].every((s) => itemIds.indexOf(s.movieId) < 50));
  } finally {
    kernel.close();
  }
});
