/** The training loop end to end on the sequences fixture: learning, early stopping, members in workers, averaging, errors. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { splitInteractions } from "../../../src/features/split.ts";
import { popularityScorer } from "../../../src/model/evaluation/baselines.ts";
import { evaluateRanking } from "../../../src/model/evaluation/ranking_metrics.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { DEFAULT_PARAMS, resolveParams } from "../../../src/model/training/hyperparams.ts";
import {
  learningRate,
  networkConfig,
  type StepProgress,
} from "../../../src/model/training/member.ts";
import {
  splitInteractionsOf,
  trainMemberInWorker,
} from "../../../src/model/training/member_pool.ts";
import { trainRecommender } from "../../../src/model/training/train.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

const small = SMALL_PARAMS;

Deno.test("trainRecommender() learns sequences: validation and test NDCG@10 far above popularity", async () => {
  const split = splitInteractions(sequenceInteractions());
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const steps: StepProgress[] = [];
    const result = await trainRecommender(kernel, split, {
      params: small,
      onStep: (p) => steps.push(p),
    });
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
    assert.ok(best.best, "the kept epoch was flagged best when it ran");
    assert.ok(
      result.epochs.every((e) => e.valNdcg10 <= best.valNdcg10),
      "the kept epoch has the best validation NDCG@10",
    );
    // The network alone (without the transition term added after training) is the kept epoch.
    const network = result.model.withTransitions().scorer();
    const again = await evaluateRanking(split, network, { phase: "validation" });
    assert.ok(
      Math.abs(again.ndcg10 - best.valNdcg10) < 1e-9,
      `the best epoch's weights are the ones kept: ${again.ndcg10} vs ${best.valNdcg10}`,
    );
    assert.equal(result.epochs.at(-1)!.last, true);
    assert.ok(result.epochs.slice(0, -1).every((e) => !e.last));
    assert.ok(steps.length > 0 && steps.every((s) => s.member === 1 && s.step <= s.steps));
    assert.ok(result.epochs.every((e) => Number.isFinite(e.loss) && e.loss > 0));
  } finally {
    kernel.close();
  }
});

Deno.test("trainRecommender() is deterministic for a seed and differs for another", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const losses: number[][] = [];
  for (const seed of [3, 3, 4]) {
    const kernel = await Kernel.create({ threads: 1 });
    try {
      const r = await trainRecommender(kernel, split, { params: { ...small, epochs: 2, seed } });
      losses.push(r.epochs.map((e) => e.loss));
    } finally {
      kernel.close();
    }
  }
  assert.deepEqual(losses[0], losses[1]);
  assert.notDeepEqual(losses[0], losses[2]);
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
    assert.equal(r.epochs.at(-1)!.last, true);
  } finally {
    kernel.close();
  }
});

Deno.test("a saved recommender reloads with identical scores (float32 tables) or close ones (float16) and recommends no watched movie", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, split, { params: { ...small, epochs: 2 } });
    const histories = split.users.slice(0, 5).map((u) => u.trainIndices);
    const scores = (m: Recommender) => {
      const out = new Float32Array(histories.length * m.size);
      m.scoreInto(histories, out);
      return out;
    };
    const exact = await Recommender.load(
      kernel,
      await model.save({ runId: "r1" }, { tables: "f32" }),
    );
    assert.equal(exact.info.runId, "r1");
    assert.deepEqual(scores(exact), scores(model));
    const half = await Recommender.load(kernel, await model.save({ runId: "r1" }));
    const [a, b] = [scores(model), scores(half)];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assert.ok(worst > 0 && worst < 1e-2, `float16 tables: max score error ${worst}`);
    const watched = Array.from(split.users[0].trainItems);
    const recs = exact.recommend(watched, 10);
    assert.equal(recs.length, 10);
    for (const r of recs) assert.ok(!watched.includes(r.movieId));
    assert.throws(() => exact.recommend(watched, 0), /k must/);
  } finally {
    kernel.close();
  }
});

Deno.test("trainRecommender() refuses bad hyperparameters by name before training", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 20 }));
  const kernel = await Kernel.create({ threads: 1 });
  const refuses = (params: Record<string, unknown>, name: RegExp) =>
    assert.rejects(
      trainRecommender(kernel, split, { params: params as never }),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "INVALID_PARAMETER" && name.test(err.message),
    );
  try {
    await refuses({ batchSize: 1 }, /batchSize/);
    await refuses({ dropout: 1 }, /dropout/);
    await refuses({ hidden: [] }, /hidden/);
    await refuses({ dim: 2 }, /dim/);
    await refuses({ tied: true, dim: 16, projection: 8 }, /projection must be 0 or 16/);
    await refuses({ epoch: 3 }, /unknown training parameter "epoch"/);
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
    const c = r.model.net.config;
    assert.deepEqual(c.hidden, [64]);
    assert.deepEqual(c.input, { kind: "bags", bags: DEFAULT_PARAMS.features.bags.length, dim: 32 });
    assert.equal(c.tied, true);
    assert.ok(r.epochs.some((e) => e.member === 1) && r.epochs.some((e) => e.member === 2));
    const val = await evaluateRanking(split, r.model.scorer(), { phase: "validation" });
    const pop = await evaluateRanking(split, popularityScorer(split), { phase: "validation" });
    assert.ok(val.ndcg10 > pop.ndcg10, `ensemble ${val.ndcg10} vs popularity ${pop.ndcg10}`);
    // The folded model is what gets registered and served: it must load back from its bytes.
    const loaded = await Recommender.load(kernel, await r.model.save({}, { tables: "f32" }));
    const again = await evaluateRanking(split, loaded.scorer(), { phase: "validation" });
    assert.equal(again.ndcg10, val.ndcg10);
  } finally {
    kernel.close();
  }
});

Deno.test("members trained concurrently in workers give the same model as members trained in turn", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 60 }));
  const histories = split.users.slice(0, 4).map((u) => u.trainIndices);
  const scores: Float32Array[] = [];
  const logs: string[] = [];
  for (const threads of [1, 2]) {
    const kernel = await Kernel.create({ threads });
    try {
      const r = await trainRecommender(kernel, split, {
        params: { ...small, epochs: 2, members: 2 },
      });
      const out = new Float32Array(histories.length * r.model.size);
      r.model.scoreInto(histories, out);
      scores.push(out);
      // Workers report in any interleaving; each member's own log is what must match.
      logs.push(JSON.stringify(
        r.epochs.map(({ member, epoch, loss, valNdcg10 }) => ({ member, epoch, loss, valNdcg10 }))
          .sort((a, b) => a.member - b.member || a.epoch - b.epoch),
      ));
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
    const params = { ...small, epochs: 6, lr: 0.01 };
    const single = await trainRecommender(kernel, split, { params });
    const averaged = await trainRecommender(kernel, split, {
      params: { ...params, averageTop: 3 },
    });
    assert.deepEqual(
      single.epochs.map((e) => e.loss),
      averaged.epochs.map((e) => e.loss),
      "same training path",
    );
    const [a, b] = [single.model.net, averaged.model.net];
    assert.notDeepEqual(a.view("p:W0"), b.view("p:W0"), "the served weights are not one epoch's");
    const runMean = b.view("runMean0");
    assert.ok(runMean.some((x) => Math.abs(x) > 1e-3), "BatchNorm statistics were recomputed");
    assert.notDeepEqual(runMean, a.view("runMean0"), "…for the averaged weights");
    assert.ok(b.view("runVar0").some((x) => Math.abs(x - 1) > 1e-3), "not left at the reset value");
    const val = await evaluateRanking(split, averaged.model.scorer(), { phase: "validation" });
    const pop = await evaluateRanking(split, popularityScorer(split), { phase: "validation" });
    assert.ok(val.ndcg10 > pop.ndcg10 + 0.2, `averaged ${val.ndcg10} vs popularity ${pop.ndcg10}`);
  } finally {
    kernel.close();
  }
});

Deno.test("a bad feature spec with two members on a two-thread kernel rejects with INVALID_PARAMETER", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 30 }));
  const kernel = await Kernel.create({ threads: 2 });
  try {
    await assert.rejects(
      trainRecommender(kernel, split, {
        params: { ...small, members: 2, features: { bags: [{ kind: "recent", tau: 0 }] } },
      }),
      (err: unknown) =>
        err instanceof ReelrankError && err.code === "INVALID_PARAMETER" &&
        /feature bag must be/.test(err.message),
    );
  } finally {
    kernel.close();
  }
});

Deno.test("a member that fails inside its worker rejects with the worker's error code and cause", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 30 }));
  // Unchecked params reach the worker, whose Recommender refuses the feature spec.
  const p = { ...resolveParams(small), features: { bags: [{ kind: "recent" as const, tau: 0 }] } };
  await assert.rejects(
    trainMemberInWorker(splitInteractionsOf(split), { p, member: 2 }),
    (err: unknown) =>
      err instanceof ReelrankError && err.code === "INVALID_PARAMETER" &&
      /^training member 2 failed: feature bag must be/.test(err.message) &&
      err.cause instanceof ReelrankError && err.cause.code === "INVALID_PARAMETER",
  );
});

Deno.test("splitInteractionsOf() gives interactions that split back into the same split", () => {
  const split = splitInteractions(sequenceInteractions({ users: 30 }));
  const again = splitInteractions(splitInteractionsOf(split));
  assert.deepEqual(again.universe.ids, split.universe.ids);
  assert.deepEqual(
    again.users.map((u) => [u.user, ...u.trainIndices, u.valItem, u.testItem]),
    split.users.map((u) => [u.user, ...u.trainIndices, u.valItem, u.testItem]),
  );
});

Deno.test("an aborted signal stops trainRecommender() before it trains", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 30 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const reason = new Error("stop");
    await assert.rejects(
      trainRecommender(kernel, split, { params: small, signal: AbortSignal.abort(reason) }),
      (err: unknown) => err === reason,
    );
  } finally {
    kernel.close();
  }
});

Deno.test("learningRate() is constant, or a cosine from lr down to lr/20", () => {
  const constant = resolveParams({ lr: 0.01 });
  for (const t of [0, 0.3, 0.99]) assert.equal(learningRate(constant, t), 0.01);
  const cosine = resolveParams({ lr: 0.01, schedule: "cosine" });
  assert.ok(Math.abs(learningRate(cosine, 0) - 0.01) < 1e-15);
  assert.ok(Math.abs(learningRate(cosine, 0.5) - (0.01 + 0.0005) / 2) < 1e-15);
  assert.ok(Math.abs(learningRate(cosine, 1) - 0.0005) < 1e-15);
  assert.ok(learningRate(cosine, 0.2) > learningRate(cosine, 0.4));
});

Deno.test("networkConfig() builds the member network the params describe", () => {
  const p = resolveParams({ dim: 32, hidden: [64], tied: true, negatives: 100, batchSize: 50 });
  const c = networkConfig(p, { items: 120, maxLength: 10 });
  assert.deepEqual(c.input, { kind: "bags", bags: p.features.bags.length, dim: 32 });
  assert.equal(c.projection, 32, "a tied output after a 64-wide layer needs a 32-wide projection");
  assert.equal(c.output, 120);
  assert.equal(c.maxCandidates, 120, "never more candidates than movies");
  assert.equal(
    networkConfig({ ...p, negatives: 0 }, { items: 120, maxLength: 10 }).maxCandidates,
    0,
  );
  assert.equal(
    networkConfig({ ...p, negatives: 10 }, { items: 120, maxLength: 10 }).maxCandidates,
    60,
  );
});
