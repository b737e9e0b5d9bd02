import assert from "node:assert/strict";
import { splitInteractions } from "../../../src/features/split.ts";
import { Kernel } from "../../../src/model/kernel.ts";
import { popularityScorer } from "../../../src/model/baselines.ts";
import { evaluateRanking } from "../../../src/model/ranking_metrics.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { trainRecommender } from "../../../src/model/train.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

const small = SMALL_PARAMS;

Deno.test("trainRecommender() learns sequences: validation and test NDCG@10 far above popularity", async () => {
  const split = splitInteractions(sequenceInteractions());
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const result = await trainRecommender(kernel, split, { params: small });
    const scorer = result.model.scorer();
    const pop = popularityScorer(split);
    for (const phase of ["validation", "test"] as const) {
      const model = await evaluateRanking(split, scorer, { phase });
      const base = await evaluateRanking(split, pop, { phase });
      assert.ok(
        model.ndcg10 > base.ndcg10 + 0.2,
        `${phase}: model ${model.ndcg10} vs popularity ${base.ndcg10}`,
      );
    }
    const best = result.epochs.find((e) => e.epoch === result.bestEpochs[0])!;
    assert.ok(
      result.epochs.every((e) => e.valNdcg10 <= best.valNdcg10),
      "the kept epoch has the best validation NDCG@10",
    );
    const again = await evaluateRanking(split, scorer, { phase: "validation" });
    assert.ok(
      Math.abs(again.ndcg10 - best.valNdcg10) < 1e-9,
      "the best epoch's weights are the ones kept",
    );
  } finally {
    kernel.close();
  }
});

Deno.test("trainRecommender() is deterministic for a seed", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const losses: number[][] = [];
  for (let run = 0; run < 2; run++) {
    const kernel = await Kernel.create({ threads: 1 });
    try {
      const r = await trainRecommender(kernel, split, { params: { ...small, epochs: 2 } });
      losses.push(r.epochs.map((e) => e.loss));
    } finally {
      kernel.close();
    }
  }
  assert.deepEqual(losses[0], losses[1]);
});

Deno.test("trainRecommender() stops early when validation NDCG@10 stops improving", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const r = await trainRecommender(kernel, split, {
      params: { ...small, epochs: 40, patience: 1, lr: 0.02 },
    });
    assert.ok(r.epochs.length < 40, `ran ${r.epochs.length} epochs`);
    assert.equal(r.epochs.length, r.bestEpochs[0] + 1);
  } finally {
    kernel.close();
  }
});

Deno.test("a saved recommender reloads with identical scores and recommends no watched movie", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, split, { params: { ...small, epochs: 2 } });
    const bytes = await model.save({ runId: "r1" });
    const loaded = await Recommender.load(kernel, bytes);
    assert.equal(loaded.info.runId, "r1");
    const histories = split.users.slice(0, 5).map((u) => u.trainIndices);
    const [a, b] = [new Float32Array(5 * model.size), new Float32Array(5 * model.size)];
    model.scoreInto(histories, a);
    loaded.scoreInto(histories, b);
    assert.deepEqual(a, b);
    const watched = Array.from(split.users[0].trainItems);
    const recs = loaded.recommend(watched, 10);
    assert.equal(recs.length, 10);
    for (const r of recs) assert.ok(!watched.includes(r.movieId));
    assert.throws(() => loaded.recommend(watched, 0), /k must/);
  } finally {
    kernel.close();
  }
});

Deno.test("trainRecommender() refuses bad hyperparameters by name", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 20 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    await assert.rejects(
      trainRecommender(kernel, split, { params: { batchSize: 1 } }),
      /batchSize/,
    );
    await assert.rejects(trainRecommender(kernel, split, { params: { dropout: 1 } }), /dropout/);
    await assert.rejects(trainRecommender(kernel, split, { params: { hidden: [] } }), /hidden/);
  } finally {
    kernel.close();
  }
});

Deno.test("trainRecommender() with two members serves their averaged logits as one network", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const r = await trainRecommender(kernel, split, {
      params: { ...small, epochs: 3, members: 2 },
    });
    assert.equal(r.bestEpochs.length, 2);
    assert.deepEqual(r.model.mlp.config.hidden, [128]);
    assert.ok(r.epochs.some((e) => e.member === 2));
    const val = await evaluateRanking(split, r.model.scorer(), { phase: "validation" });
    const pop = await evaluateRanking(split, popularityScorer(split), { phase: "validation" });
    assert.ok(val.ndcg10 > pop.ndcg10, `ensemble ${val.ndcg10} vs popularity ${pop.ndcg10}`);
  } finally {
    kernel.close();
  }
});

Deno.test("members trained concurrently in workers give the same model as members trained in turn", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const histories = split.users.slice(0, 4).map((u) => u.trainIndices);
  const scores: Float32Array[] = [];
  const logs: number[] = [];
  for (const threads of [1, 2]) {
    const kernel = await Kernel.create({ threads });
    try {
      const r = await trainRecommender(kernel, split, {
        params: { ...small, epochs: 2, members: 2 },
      });
      const out = new Float32Array(histories.length * r.model.size);
      r.model.scoreInto(histories, out);
      scores.push(out);
      logs.push(r.epochs.length);
    } finally {
      kernel.close();
    }
  }
  assert.deepEqual(scores[0], scores[1]);
  assert.equal(logs[0], logs[1]);
});

Deno.test("averageTop > 1 serves the mean of the best epochs with recalibrated BatchNorm", async () => {
  const split = splitInteractions(sequenceInteractions());
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const single = await trainRecommender(kernel, split, { params: { ...small, epochs: 6 } });
    const averaged = await trainRecommender(kernel, split, {
      params: { ...small, epochs: 6, averageTop: 3 },
    });
    assert.deepEqual(
      single.epochs.map((e) => e.loss),
      averaged.epochs.map((e) => e.loss),
      "same training path",
    );
    const a = single.model.mlp.view("p:W1");
    const b = averaged.model.mlp.view("p:W1");
    assert.notDeepEqual(a, b, "the served weights are not the best epoch's alone");
    const runMean = averaged.model.mlp.view("runMean0");
    assert.ok(
      runMean.some((x) => Math.abs(x) > 1e-3),
      "BatchNorm statistics were recomputed, not left reset",
    );
    const val = await evaluateRanking(split, averaged.model.scorer(), { phase: "validation" });
    const pop = await evaluateRanking(split, popularityScorer(split), { phase: "validation" });
    assert.ok(val.ndcg10 > pop.ndcg10 + 0.2, `averaged ${val.ndcg10} vs popularity ${pop.ndcg10}`);
  } finally {
    kernel.close();
  }
});
