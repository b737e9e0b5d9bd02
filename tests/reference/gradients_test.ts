/** Finite-difference checks of the float64 reference's backward passes (every parameter tensor). */
import assert from "node:assert/strict";
import * as op from "./ops.ts";
import { lossAndGrads, type RefBatch, type RefParams } from "./mlp.ts";

function rand(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
}

// Central differences on up to `samples` elements of `t`, comparing with the analytic gradient.
function check(
  label: string,
  t: Float64Array,
  analytic: Float64Array,
  f: () => number,
  samples = 40,
) {
  const h = 1e-6;
  const step = Math.max(1, Math.floor(t.length / samples));
  let worst = 0;
  for (let i = 0; i < t.length; i += step) {
    const keep = t[i];
    t[i] = keep + h;
    const up = f();
    t[i] = keep - h;
    const down = f();
    t[i] = keep;
    const numeric = (up - down) / (2 * h);
    const err = Math.abs(numeric - analytic[i]) /
      Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic[i]));
    worst = Math.max(worst, err);
    assert.ok(
      err < 1e-4 || Math.abs(numeric - analytic[i]) < 1e-8,
      `${label}[${i}]: numeric ${numeric} vs analytic ${analytic[i]}`,
    );
  }
  return worst;
}

function params(dims: number[], r: () => number): RefParams {
  const p: RefParams = { W: [], b: [], gamma: [], beta: [] };
  for (let l = 0; l < dims.length - 1; l++) {
    p.W.push(Float64Array.from({ length: dims[l] * dims[l + 1] }, () => r() * 0.8));
    p.b.push(Float64Array.from({ length: dims[l + 1] }, () => r() * 0.3));
    p.gamma.push(Float64Array.from({ length: dims[l + 1] }, () => 1 + r() * 0.5));
    p.beta.push(Float64Array.from({ length: dims[l + 1] }, () => r() * 0.3));
  }
  return p;
}

function checkAll(dims: number[], batchNorm: boolean, batch: RefBatch, seed: number) {
  const p = params(dims, rand(seed));
  const { grads } = lossAndGrads(p, dims, batchNorm, batch);
  const f = () => lossAndGrads(p, dims, batchNorm, batch).loss;
  for (let l = 0; l < dims.length - 1; l++) {
    check(`W${l}`, p.W[l], grads.W[l], f);
    check(`b${l}`, p.b[l], grads.b[l], f);
    if (batchNorm && l < dims.length - 2) {
      check(`gamma${l}`, p.gamma[l], grads.gamma[l], f);
      check(`beta${l}`, p.beta[l], grads.beta[l], f);
    }
  }
}

Deno.test("reference MLP gradients match finite differences for every tensor with BatchNorm", () => {
  const r = rand(7);
  const dims = [5, 7, 6, 4];
  const B = 5;
  checkAll(dims, true, { B, x: Array.from({ length: B * 5 }, r), labels: [0, 3, 1, 2, 3] }, 11);
});

Deno.test("reference MLP gradients match finite differences without BatchNorm", () => {
  const r = rand(8);
  const dims = [3, 9, 5];
  checkAll(dims, false, { B: 3, x: Array.from({ length: 9 }, r), labels: [4, 0, 2] }, 12);
});

Deno.test("reference sparse-input MLP with a corrected candidate softmax matches finite differences", () => {
  const dims = [11, 6, 9];
  const batch: RefBatch = {
    B: 3,
    sparse: {
      offsets: [0, 2, 5, 6],
      indices: [1, 4, 4, 7, 10, 4],
      values: [0.5, 1, 0.25, 0.75, 1, 2],
    },
    labels: [0, 2, 1],
    candidates: [3, 8, 0, 3],
    correction: [-0.5, 0.2, 0.1, -1],
  };
  checkAll(dims, true, batch, 13);
});

Deno.test("reference BatchNorm backward matches finite differences for its input", () => {
  const r = rand(9);
  const [B, F] = [4, 3];
  const x = Float64Array.from({ length: B * F }, r);
  const w = Float64Array.from({ length: B * F }, r);
  const gamma = [1.2, 0.7, -0.4], beta = [0.1, 0, 0.3], zero = [0, 0, 0];
  const f = () =>
    op.batchNormTrain(x, gamma, beta, zero, zero, B, F, 0.1, 1e-5).y.reduce(
      (s, y, i) => s + y * w[i],
      0,
    );
  const fw = op.batchNormTrain(x, gamma, beta, zero, zero, B, F, 0.1, 1e-5);
  const { dx } = op.batchNormBackward(w, fw.xhat, fw.invStd, gamma, B, F);
  check("bn dx", x, dx, f);
});

Deno.test("reference softmax cross-entropy backward matches finite differences with a logit correction", () => {
  const r = rand(10);
  const [B, C] = [3, 7];
  const logits = Float64Array.from({ length: B * C }, () => r() * 4);
  const corr = Float64Array.from({ length: C }, r);
  const labels = [6, 0, 3];
  const { probs } = op.softmaxCrossEntropy(logits, labels, corr, B, C);
  check(
    "logits",
    logits,
    op.softmaxCrossEntropyBackward(probs, labels, B, C),
    () => op.softmaxCrossEntropy(logits, labels, corr, B, C).loss,
  );
});

Deno.test("the gradient check itself fails on a wrong gradient", () => {
  const t = Float64Array.from([0.3, -0.2]);
  assert.throws(() => check("bad", t, Float64Array.from([1, 1]), () => t[0] * t[0] + t[1]));
});
