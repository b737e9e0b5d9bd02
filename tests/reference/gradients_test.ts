/** Finite-difference checks of the float64 references' backward passes: ops and the whole network, every tensor. */
import assert from "node:assert/strict";
import * as op from "./ops.ts";
import {
  lossAndGrads,
  type RefBatch,
  refInputWidth,
  refOutputWidth,
  type RefParams,
  type RefShape,
} from "./network.ts";

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

// Random parameters for `s` (gamma near 1 so BatchNorm stays well conditioned).
function params(s: RefShape, r: () => number): RefParams {
  const vec = (n: number, scale = 0.8, around = 0) =>
    Float64Array.from({ length: n }, () => around + r() * scale);
  const p: RefParams = { W: [], b: [], gamma: [], beta: [], bo: vec(s.output, 0.3) };
  if (s.input.kind === "bags") p.E = vec(s.output * s.input.dim);
  let width = refInputWidth(s);
  for (const F of s.hidden) {
    p.W.push(vec(width * F));
    p.b.push(vec(F, 0.3));
    p.gamma.push(vec(F, 0.5, 1));
    p.beta.push(vec(F, 0.3));
    width = F;
  }
  if (s.projection) [p.Wp, p.bp] = [vec(width * s.projection), vec(s.projection, 0.3)];
  if (!s.tied) p.O = vec(s.output * refOutputWidth(s));
  return p;
}

// Every parameter tensor of `p` by name (W0, b0, gamma0, …, E, Wp, bp, O, bo).
function tensors(p: RefParams, batchNorm: boolean): [string, Float64Array | undefined][] {
  const out: [string, Float64Array | undefined][] = [];
  p.W.forEach((_, l) => {
    out.push([`W${l}`, p.W[l]], [`b${l}`, p.b[l]]);
    if (batchNorm) out.push([`gamma${l}`, p.gamma[l]], [`beta${l}`, p.beta[l]]);
  });
  out.push(["E", p.E], ["Wp", p.Wp], ["bp", p.bp], ["O", p.O], ["bo", p.bo]);
  return out;
}

// Finite differences on every tensor the shape has; returns the names checked.
function checkNetwork(s: RefShape, batch: RefBatch, seed: number): string[] {
  const p = params(s, rand(seed));
  const { grads } = lossAndGrads(s, p, batch);
  const f = () => lossAndGrads(s, p, batch).loss;
  const analytic = new Map(tensors(grads, s.batchNorm));
  const checked: string[] = [];
  for (const [name, t] of tensors(p, s.batchNorm)) {
    if (!t) continue;
    const g = analytic.get(name);
    assert.ok(g && g.length === t.length, `reference returns a gradient for ${name}`);
    check(name, t, g, f);
    checked.push(name);
  }
  return checked;
}

const SHAPE: RefShape = {
  input: { kind: "dense", width: 5 },
  hidden: [7, 6],
  projection: 0,
  output: 4,
  tied: false,
  batchNorm: true,
  bnEps: 1e-5,
};

Deno.test("reference network gradients match finite differences: dense input, two BatchNorm layers, full softmax", () => {
  const r = rand(7);
  const B = 5;
  const names = checkNetwork(SHAPE, {
    B,
    x: Array.from({ length: B * 5 }, r),
    labels: [0, 3, 1, 2, 3],
  }, 11);
  assert.deepEqual(names, [
    "W0",
    "b0",
    "gamma0",
    "beta0",
    "W1",
    "b1",
    "gamma1",
    "beta1",
    "O",
    "bo",
  ]);
});

Deno.test("reference network gradients match finite differences without BatchNorm", () => {
  const r = rand(8);
  const s = { ...SHAPE, input: { kind: "dense" as const, width: 3 }, hidden: [9], output: 5 };
  checkNetwork({ ...s, batchNorm: false }, {
    B: 3,
    x: Array.from({ length: 9 }, r),
    labels: [4, 0, 2],
  }, 12);
});

// Three histories × two bags over a 7-movie embedding; history 1's first bag is empty.
const BAGS = {
  offsets: [0, 2, 3, 3, 5, 7, 8],
  indices: [1, 4, 4, 6, 0, 2, 5, 4],
  values: [0.5, 0.5, 1, 0.75, 0.25, 0.6, 0.4, 1],
};

Deno.test("reference network gradients match finite differences: bags, tied output, projection, candidates with correction and mask", () => {
  const s: RefShape = {
    input: { kind: "bags", bags: 2, dim: 3 },
    hidden: [5],
    projection: 3,
    output: 7,
    tied: true,
    batchNorm: true,
    bnEps: 1e-5,
  };
  const names = checkNetwork(s, {
    B: 3,
    bags: BAGS,
    labels: [0, 2, 1],
    candidates: [6, 1, 3, 0],
    correction: [-0.5, 0.2, 0.1, -1],
    // Row 0 leaves out candidate 3 (movie 0), row 2 candidate 0 (movie 6).
    mask: [0 * 4 + 3, 2 * 4 + 0],
  }, 13);
  assert.deepEqual(names, ["W0", "b0", "gamma0", "beta0", "E", "Wp", "bp", "bo"]);
});

Deno.test("reference network gradients match finite differences: bags, untied output table, no projection, full softmax", () => {
  const s: RefShape = {
    input: { kind: "bags", bags: 2, dim: 2 },
    hidden: [5, 3],
    projection: 0,
    output: 7,
    tied: false,
    batchNorm: true,
    bnEps: 1e-5,
  };
  const names = checkNetwork(s, { B: 3, bags: BAGS, labels: [6, 0, 3] }, 14);
  assert.ok(names.includes("E") && names.includes("O") && !names.includes("Wp"));
});

Deno.test("reference network gradients match finite differences: tied without projection, dropout masks", () => {
  const s: RefShape = {
    input: { kind: "bags", bags: 2, dim: 3 },
    hidden: [6, 3],
    projection: 0,
    output: 7,
    tied: true,
    batchNorm: true,
    bnEps: 1e-5,
  };
  const keep = 1 / (1 - 0.25);
  const dropoutMasks = [
    [keep, 0, keep, keep, keep, 0, keep, keep, 0, keep, keep, keep, 0, keep, keep, keep, keep, 0],
    [keep, keep, 0, keep, 0, keep, keep, keep, keep],
  ];
  checkNetwork(s, { B: 3, bags: BAGS, labels: [6, 0, 3], dropoutMasks }, 15);
});

Deno.test("a masked candidate gets probability 0 and passes no gradient to its table row in the reference network", () => {
  const s: RefShape = {
    input: { kind: "bags", bags: 2, dim: 3 },
    hidden: [4],
    projection: 3,
    output: 7,
    tied: true,
    batchNorm: true,
    bnEps: 1e-5,
  };
  const p = params(s, rand(16));
  const batch: RefBatch = { B: 3, bags: BAGS, labels: [0, 1, 2], candidates: [5, 2, 6, 3] };
  const masked = lossAndGrads(s, p, { ...batch, mask: [3] });
  assert.equal(masked.probs[3], 0);
  assert.ok(masked.probs.subarray(0, 3).reduce((a, b) => a + b, 0) > 1 - 1e-12);
  // Row 0's probability mass is redistributed, so the loss changes.
  assert.notEqual(masked.loss, lossAndGrads(s, p, batch).loss);
  // Movie 3 is in no bag: masked in every row, its (tied) table row gets no gradient at all.
  const row3 = (g: Float64Array) => Array.from(g.subarray(9, 12));
  const everywhere = lossAndGrads(s, p, { ...batch, mask: [3, 7, 11] });
  assert.deepEqual(row3(everywhere.grads.E!), [0, 0, 0]);
  assert.ok(row3(lossAndGrads(s, p, batch).grads.E!).some((v) => v !== 0));
});

Deno.test("denseForwardRows reference backward (input, row-table and bias gradients) matches finite differences", () => {
  const r = rand(17);
  const [B, IN, OUT] = [3, 4, 5];
  const x = Float64Array.from({ length: B * IN }, r);
  const W = Float64Array.from({ length: OUT * IN }, r);
  const b = Float64Array.from({ length: OUT }, r);
  const w = Float64Array.from({ length: B * OUT }, r);
  // f = Σ w ⊙ y, so dy = w.
  const f = () => op.denseForwardRows(x, W, b, B, IN, OUT).reduce((s, y, i) => s + y * w[i], 0);
  const g = op.denseBackwardRows(w, x, W, B, IN, OUT);
  check("rows dx", x, g.dx, f);
  check("rows dW", W, g.dW, f);
  check("rows db", b, g.db, f);
  check("denseBackwardBias", b, op.denseBackwardBias(w, B, OUT), f);
  // Rows of W are the transpose of denseForward's IN×OUT weight.
  const WT = Float64Array.from(
    { length: IN * OUT },
    (_, i) => W[(i % OUT) * IN + Math.floor(i / OUT)],
  );
  const dense = op.denseForward(x, WT, b, B, IN, OUT);
  op.denseForwardRows(x, W, b, B, IN, OUT).forEach((y, i) =>
    assert.ok(Math.abs(y - dense[i]) < 1e-12)
  );
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
