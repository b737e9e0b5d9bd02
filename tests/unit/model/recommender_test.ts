import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { Kernel } from "../../../src/model/kernel.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { trainRecommender } from "../../../src/model/train.ts";
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
