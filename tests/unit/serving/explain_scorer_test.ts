/** The `explain` flag through both scorers: a mixed batch is explained only where asked, given movies are explained as the model does, the worker answering as this thread does. */
import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { Kernel, Recommender, trainRecommender } from "../../../src/model/mod.ts";
import { openLocalScorer } from "../../../src/serving/local_scorer.ts";
import type { RankRequest } from "../../../src/serving/scorer.ts";
import { openWorkerScorer } from "../../../src/serving/worker_scorer.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

async function checkpoint(): Promise<Uint8Array> {
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const split = splitInteractions(sequenceInteractions({ users: 60 }));
    const { model } = await trainRecommender(kernel, split, {
      params: { ...SMALL_PARAMS, epochs: 2 },
    });
    return await model.save();
  } finally {
    kernel.close();
  }
}

Deno.test("a batch mixing explained and plain requests is explained only where asked, in a worker as on this thread", async () => {
  const bytes = await checkpoint();
  const requests: RankRequest[] = [
    { history: [1, 2, 3, 4], k: 5, explain: true },
    { history: [61, 62, 63], k: 5 },
    { history: [31, 32, 91, 92, 33], k: 5, explain: true, genre: "Comedy" },
  ];
  const genres = { Comedy: Array.from({ length: 60 }, (_, i) => 3 * (i + 1)) };
  const local = await openLocalScorer(bytes.slice(), { genres });
  const worker = await openWorkerScorer(bytes.slice(), { genres });
  const model = await Recommender.open(bytes.slice());
  try {
    const here = await local.rank(requests);
    const there = await worker.rank(requests);
    assert.deepEqual(there, here);
    assert.ok(here[1].every((s) => s.because === undefined));
    for (const i of [0, 2]) {
      const expected = model.explain(requests[i].history, here[i].map((s) => s.movieId));
      assert.deepEqual(here[i].map((s) => s.because), expected);
    }
    assert.ok(here[0].some((s) => s.because!.length > 0));
    assert.ok(here[2].every((s) => genres.Comedy.includes(s.movieId)));
  } finally {
    model.close();
    await local.close();
    await worker.close();
  }
});

Deno.test("explain() of given movies answers as the model's explainMany, in a worker as on this thread", async () => {
  const bytes = await checkpoint();
  const requests = [
    { history: [1, 2, 3, 4], targets: [5, 6, 64, 2] },
    { history: [61, 62, 63], targets: [64] },
  ];
  const local = await openLocalScorer(bytes.slice(), { genres: {} });
  const worker = await openWorkerScorer(bytes.slice(), { genres: {} });
  const model = await Recommender.open(bytes.slice());
  try {
    const expected = model.explainMany(requests);
    assert.deepEqual(await local.explain(requests), expected);
    assert.deepEqual(await worker.explain(requests), expected);
    assert.ok(expected.flat().some((b) => b.length > 0), "nothing was explained");
    assert.ok(!expected[0][3].some((b) => b.movieId === 2), "a movie never explains itself");
  } finally {
    model.close();
    await local.close();
    await worker.close();
  }
});
