/** The transition term inside the Recommender: scores, top-k, explanations and checkpoints agree with it, and training picks its weight on validation. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { historyIndices, type Split, splitInteractions } from "../../../src/features/split.ts";
import { evaluateRanking, topK } from "../../../src/model/evaluation/ranking_metrics.ts";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import { readCheckpoint, saveCheckpoint } from "../../../src/model/network/checkpoint.ts";
import { Recommender } from "../../../src/model/recommender.ts";
import { trainRecommender } from "../../../src/model/training/train.ts";
import {
  DEFAULT_TRANSITIONS,
  fitTransitions,
  TRANSITION_WEIGHTS,
} from "../../../src/model/transitions.ts";
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

const SPEC = { ...DEFAULT_TRANSITIONS, keep: 20 };

// A network alone and the same one with a transition term of weight 1.5 (float32 checkpoints).
async function models(): Promise<{ base: Recommender; withTerm: Recommender; split: Split }> {
  const split = splitInteractions(sequenceInteractions({ users: 80, noise: 0.2 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const { model } = await trainRecommender(kernel, split, {
      params: { ...SMALL_PARAMS, epochs: 2, transitionWindow: 0 },
    });
    assert.equal(model.transitions, undefined);
    const table = fitTransitions(split.users.map((u) => u.trainIndices), model.size, SPEC);
    const term = model.withTransitions({ table, spec: SPEC, weight: 1.5 });
    return {
      base: await Recommender.open(await model.save({}, { tables: "f32" })),
      withTerm: await Recommender.open(await term.save({}, { tables: "f32" })),
      split,
    };
  } finally {
    kernel.close();
  }
}

function scores(model: Recommender, histories: number[][]): Float32Array {
  const out = new Float32Array(histories.length * model.size);
  model.scoreInto(histories, out);
  return out;
}

Deno.test("scores are the network's plus weight · ln(1 + s/ε) of the last movies' successors, and recommend() ranks by them", async () => {
  const { base, withTerm, split } = await models();
  try {
    const V = base.size;
    const histories = split.users.slice(0, 12).map((u) => Array.from(historyIndices(u, "test")));
    const [a, b] = [scores(base, histories), scores(withTerm, histories)];
    const t = withTerm.transitions!;
    assert.equal(t.weight, 1.5);
    let changed = 0;
    histories.forEach((h, r) => {
      // Reference: s_j summed in float64 straight from the table.
      const s = new Float64Array(V);
      for (let d = 0; d < SPEC.last && d < h.length; d++) {
        const i = h[h.length - 1 - d];
        for (let e = t.table.offsets[i]; e < t.table.offsets[i + 1]; e++) {
          s[t.table.cols[e]] += Math.exp(-d / SPEC.tau) * t.table.vals[e];
        }
      }
      for (let j = 0; j < V; j++) {
        const want = a[r * V + j] + 1.5 * Math.log1p(s[j] / SPEC.eps);
        assert.ok(Math.abs(b[r * V + j] - want) < 1e-5, `row ${r}, movie ${j}`);
        if (s[j] > 0) changed++;
      }
      // The served top 10 is the top 10 of these scores without the history.
      const ids = withTerm.recommend(h.map((i) => withTerm.itemIds[i]), 10).map((x) => x.movieId);
      const want = Array.from(topK(b.subarray(r * V, (r + 1) * V), 10, { exclude: h }));
      assert.deepEqual(ids, want.map((i) => withTerm.itemIds[i]));
    });
    // Batched (the micro-batcher's call: the int8 path with the term in one kernel call), the
    // same answers with the same float32 scores.
    const many = withTerm.recommendMany(
      histories.map((h) => ({ history: h.map((i) => withTerm.itemIds[i]), k: 10 })),
    );
    histories.forEach((h, r) => {
      const row = b.subarray(r * V, (r + 1) * V);
      const want = Array.from(topK(row, 10, { exclude: h }));
      assert.deepEqual(many[r].map((x) => x.movieId), want.map((i) => withTerm.itemIds[i]));
      assert.deepEqual(many[r].map((x) => x.score), want.map((i) => row[i]));
    });
    assert.ok(
      changed > histories.length,
      "the term changed almost nothing: the test proves little",
    );
    assert.ok(withTerm.flopPerHistory() === base.flopPerHistory() + 2 * SPEC.last * SPEC.keep);
  } finally {
    base.close();
    withTerm.close();
  }
});

Deno.test("explain() includes the transition term: contributions equal score drops recomputed by scoreInto()", async () => {
  const { withTerm: model, split } = await models();
  try {
    const history = Array.from(split.users[3].trainItems.slice(-8));
    const targets = model.recommend(history, 5).map((r) => r.movieId);
    const explained = model.explain(history, targets, { max: history.length });
    const scoreOf = (h: number[], target: number) =>
      scores(model, [h.map((id) => model.indexOf(id))])[model.indexOf(target)];
    let checked = 0;
    targets.forEach((target, i) => {
      const full = scoreOf(history, target);
      for (const b of explained[i]) {
        const drop = full - scoreOf(history.filter((m) => m !== b.movieId), target);
        assert.ok(Math.abs(b.contribution - drop) < 1e-4, `${target} ← ${b.movieId}`);
        checked++;
      }
      for (const m of history) {
        const drop = full - scoreOf(history.filter((x) => x !== m), target);
        if (drop > 1e-4 && m !== target) {
          assert.ok(explained[i].some((b) => b.movieId === m), `${target}: ${m} missing`);
        }
      }
    });
    assert.ok(checked > 0, "nothing was explained");
  } finally {
    model.close();
  }
});

Deno.test("a checkpoint with the term is version 3 and reloads with identical scores; one naming it without its table is CORRUPT", async () => {
  const { withTerm: model, split } = await models();
  try {
    const bytes = await model.save({}, { tables: "f32" });
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true), 3);
    const again = await Recommender.open(bytes);
    const histories = split.users.slice(0, 4).map((u) => Array.from(u.trainIndices));
    assert.deepEqual(scores(again, histories), scores(model, histories));
    assert.deepEqual(again.transitions?.spec, SPEC);
    again.close();
    const { metadata } = await readCheckpoint(bytes);
    const orphan = await saveCheckpoint(model.net, { metadata });
    await assert.rejects(
      Recommender.open(orphan),
      (e: unknown) =>
        e instanceof ReelrankError && e.code === "CORRUPT" && /lacks its tensors/.test(e.message),
    );
  } finally {
    model.close();
  }
});

Deno.test("trainRecommender() picks the transition weight with the best validation NDCG@10, which the model then scores", async () => {
  const split = splitInteractions(sequenceInteractions({ users: 80, noise: 0.2 }));
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const r = await trainRecommender(kernel, split, { params: { ...SMALL_PARAMS, epochs: 2 } });
    assert.ok((TRANSITION_WEIGHTS as readonly number[]).includes(r.transitionWeight));
    assert.equal(r.transitionValidation.length, TRANSITION_WEIGHTS.length);
    const chosen = r.transitionValidation.find(([w]) => w === r.transitionWeight)![1];
    assert.equal(chosen, Math.max(...r.transitionValidation.map(([, v]) => v)));
    const val = await evaluateRanking(split, r.model.scorer(), { phase: "validation" });
    assert.ok(Math.abs(val.ndcg10 - chosen) < 1e-12, `${val.ndcg10} vs ${chosen}`);
    assert.ok(r.transitionWeight > 0, "on sequences, successors should help the 2-epoch network");
  } finally {
    kernel.close();
  }
});
