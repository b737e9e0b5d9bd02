/** The Recommender over a Net: batched ranking, exclusions and masks, item-to-item, open/close, load checks, FLOP. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { saveCheckpoint } from "../../../src/model/network/checkpoint.ts";
import { inferenceMacs } from "../../../src/model/network/config.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { trainRecommender } from "../../../src/model/training/train.ts";
import { maxNonZeros } from "../../../src/features/history_features.ts";
import { assertClose } from "../../reference/compare.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

async function trained(): Promise<{ bytes: Uint8Array; histories: number[][] }> {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, split, {
      params: { ...SMALL_PARAMS, epochs: 2 },
    });
    const histories = split.users.slice(0, 6).map((u) => Array.from(u.trainItems));
    return { bytes: await model.save(), histories };
  } finally {
    kernel.close();
  }
}

Deno.test("recommendMany() answers each request as recommend() would, in one batched call", async () => {
  const { bytes, histories } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const requests = histories.map((history, i) => ({ history, k: 3 + i }));
    const many = model.recommendMany(requests);
    assert.equal(many.length, requests.length);
    requests.forEach((r, i) => {
      assert.equal(many[i].length, r.k);
      assert.deepEqual(many[i], model.recommend(r.history, r.k));
      for (const s of many[i]) assert.ok(!r.history.includes(s.movieId));
    });
  } finally {
    model.close();
  }
});

Deno.test("recommend() honours exclusions and an allow mask, returning fewer when few are left", async () => {
  const { bytes, histories } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const history = histories[0];
    const top = model.recommend(history, 5);
    const without = model.recommend(history, 5, { exclude: [top[0].movieId, top[1].movieId] });
    assert.deepEqual(without.slice(0, 3), top.slice(2));
    const allowed = Array.from(model.itemIds).filter((id) => !history.includes(id)).slice(0, 4);
    const masked = model.recommend(history, 10, { allow: model.maskOf(allowed) });
    assert.equal(masked.length, 4);
    assert.deepEqual(masked.map((s) => s.movieId).sort((a, b) => a - b), allowed);
    assert.throws(() => model.recommend(history, 3, { allow: new Uint8Array(2) }), /allow mask/);
  } finally {
    model.close();
  }
});

Deno.test("similar() ranks what follows one movie, never the movie itself, and 404s an unknown one", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const id = model.itemIds[3];
    const sims = model.similar(id, 5);
    assert.equal(sims.length, 5);
    assert.ok(sims.every((s) => s.movieId !== id));
    assert.deepEqual(sims, model.recommend([id], 5));
    assert.throws(
      () => model.similar(-42, 5),
      (e: Error & { code?: string }) => e.code === "NOT_FOUND",
    );
  } finally {
    model.close();
  }
});

Deno.test("scoreInto() gives the same scores whether histories are scored in small chunks or one batch", async () => {
  const { bytes } = await trained();
  const [big, small] = [
    await Recommender.open(bytes),
    await Recommender.open(bytes, { batchSize: 4 }),
  ];
  try {
    assert.equal(small.net.config.batchSize, 4);
    const histories = Array.from(
      { length: 11 },
      (_, h) => Int32Array.from({ length: 1 + (h % 6) }, (_, i) => (h * 7 + i * 3) % big.size),
    );
    const [a, b] = [new Float32Array(11 * big.size), new Float32Array(11 * big.size)];
    big.scoreInto(histories, a);
    small.scoreInto(histories, b);
    assertClose("4-history chunks vs one batch", b, a, { atol: 1e-4, rtol: 1e-4 });
    assert.ok(a.every(Number.isFinite));
  } finally {
    big.close();
    small.close();
  }
});

Deno.test("recommend() for an empty or all-unknown history gives the cold-start ranking", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const cold = model.recommend([], 5);
    assert.equal(cold.length, 5);
    assert.deepEqual(model.recommend([-1, -2], 5), cold);
    assert.notDeepEqual(model.recommend([model.itemIds[0]], 5), cold);
  } finally {
    model.close();
  }
});

Deno.test("maskOf() marks known movies only, by dense index", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const ids = [model.itemIds[2], model.itemIds[5], -7];
    const mask = model.maskOf(ids);
    assert.equal(mask.length, model.size);
    assert.deepEqual([...mask.keys()].filter((i) => mask[i] === 1), [2, 5]);
  } finally {
    model.close();
  }
});

Deno.test("flopPerHistory() is twice the inference multiply-adds of a history's bag entries", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const c = model.net.config;
    const nnz = maxNonZeros(model.features, 50);
    // Plus a multiply-add per successor the transition term can touch, when it has a weight.
    const t = model.transitions?.weight ? model.transitions.maxTouched : 0;
    assert.equal(model.flopPerHistory(), 2 * (inferenceMacs(c, nnz) + t));
    assert.ok(model.flopPerHistory(10) < model.flopPerHistory(50));
    // The output layer alone is K · V multiply-adds.
    const K = c.projection || c.hidden[c.hidden.length - 1];
    assert.ok(model.flopPerHistory() > 2 * K * model.size);
  } finally {
    model.close();
  }
});

Deno.test("Recommender.load() refuses a network checkpoint that is not a next-item model as CORRUPT", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes);
  try {
    const plain = await saveCheckpoint(model.net, { metadata: { kind: "something-else" } });
    await assert.rejects(
      Recommender.open(plain),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "CORRUPT" &&
        /not a reelrank next-item model \(manifest kind "something-else"\)/.test(err.message),
    );
    assert.throws(
      () => new Recommender(model.net, { itemIds: [1, 2, 3], features: model.features }),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "CORRUPT" &&
        new RegExp(`${model.size} outputs\\) do not match 3 items`).test(err.message),
    );
  } finally {
    model.close();
  }
});

Deno.test("close() releases an opened recommender's kernel and is idempotent", async () => {
  const { bytes } = await trained();
  const model = await Recommender.open(bytes, { threads: 2 });
  assert.equal(model.net.kernel.threads, 2);
  model.close();
  model.close();
  // Closing stops the workers; the main-thread instance still answers.
  assert.equal(model.recommend([model.itemIds[0]], 3).length, 3);
});
