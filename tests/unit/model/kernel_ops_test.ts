/** Every WASM op against the float64 reference on random inputs, including sizes that are not multiples of 4, through the typed kernel.run API. */
import assert from "node:assert/strict";
import { Kernel } from "../../../src/model/kernel/kernel.ts";
import * as ref from "../../reference/ops.ts";
import { assertClose } from "../../reference/compare.ts";
import { Arena, rand, randArray } from "./helpers.ts";

const kernel = await Kernel.create({ threads: 1 });
const a = new Arena(kernel);
const HYPER = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [9, 13, 17],
  [16, 33, 30],
  [37, 70, 259],
  [5, 300, 10],
];

Deno.test("denseForward matches the reference for every shape, with and without bias", () => {
  const r = rand(1);
  for (const [B, IN, OUT] of SHAPES) {
    const x = randArray(B * IN, r), W = randArray(IN * OUT, r), b = randArray(OUT, r);
    const [px, pW, pb, py] = [a.f32(x), a.f32(W), a.f32(b), a.f32(B * OUT)];
    kernel.run("denseForward", { out: py, inp: px, weight: pW, bias: pb, B, IN, OUT }, [0, OUT]);
    assertClose(
      `dense ${B}x${IN}x${OUT}`,
      a.read(py, B * OUT),
      ref.denseForward(x, W, b, B, IN, OUT),
      { atol: 1e-4 },
    );
    kernel.run("denseForward", { out: py, inp: px, weight: pW, bias: 0, B, IN, OUT });
    assertClose(
      `dense nobias ${B}x${IN}x${OUT}`,
      a.read(py, B * OUT),
      ref.denseForward(x, W, null, B, IN, OUT),
      { atol: 1e-4 },
    );
  }
});

Deno.test("denseForward computes only the requested column range, as a thread would", () => {
  const r = rand(2);
  const [B, IN, OUT] = [6, 11, 29];
  const x = randArray(B * IN, r), W = randArray(IN * OUT, r), b = randArray(OUT, r);
  const [px, pW, pb, py] = [a.f32(x), a.f32(W), a.f32(b), a.f32(B * OUT)];
  const args = { out: py, inp: px, weight: pW, bias: pb, B, IN, OUT };
  kernel.run("denseForward", args, [0, 16]);
  kernel.run("denseForward", args, [16, OUT]);
  assertClose("split columns", a.read(py, B * OUT), ref.denseForward(x, W, b, B, IN, OUT), {
    atol: 1e-4,
  });
});

Deno.test("denseBackward input, weight and bias gradients match the reference", () => {
  const r = rand(3);
  for (const [B, IN, OUT] of SHAPES) {
    const x = randArray(B * IN, r), W = randArray(IN * OUT, r), dy = randArray(B * OUT, r);
    const [px, pW, pdy] = [a.f32(x), a.f32(W), a.f32(dy)];
    const [pdx, pdW, pdb] = [a.f32(B * IN), a.f32(IN * OUT), a.f32(OUT)];
    kernel.run("denseBackward", {
      dInp: pdx,
      dWeight: pdW,
      dBias: pdb,
      inp: px,
      dOut: pdy,
      weight: pW,
      B,
      IN,
      OUT,
    });
    const e = ref.denseBackward(dy, x, W, B, IN, OUT);
    const tag = `${B}x${IN}x${OUT}`;
    assertClose(`dx ${tag}`, a.read(pdx, B * IN), e.dx, { atol: 1e-4 });
    assertClose(`dW ${tag}`, a.read(pdW, IN * OUT), e.dW, { atol: 1e-4 });
    assertClose(`db ${tag}`, a.read(pdb, OUT), e.db, { atol: 1e-4 });
    kernel.run("denseBackwardWeight", {
      dWeight: pdW,
      dBias: pdb,
      inp: px,
      dOut: pdy,
      B,
      IN,
      OUT,
      accumulate: 1,
    });
    assertClose(`dW accumulate ${tag}`, a.read(pdW, IN * OUT), e.dW.map((v) => 2 * v), {
      atol: 2e-4,
    });
  }
});

Deno.test("denseBackwardInput matches the reference's input gradient, whole or as two column ranges", () => {
  const r = rand(32);
  for (const [B, IN, OUT] of SHAPES) {
    const W = randArray(IN * OUT, r), dy = randArray(B * OUT, r);
    const [pW, pdy, pdx] = [a.f32(W), a.f32(dy), a.f32(B * IN)];
    const args = { dInp: pdx, dOut: pdy, weight: pW, B, IN, OUT };
    const e = ref.denseBackward(dy, new Float32Array(B * IN), W, B, IN, OUT);
    const tag = `${B}x${IN}x${OUT}`;
    kernel.f32(pdx, B * IN).fill(NaN);
    kernel.run("denseBackwardInput", args, [0, IN]);
    assertClose(`dx ${tag}`, a.read(pdx, B * IN), e.dx, { atol: 1e-4 });
    // Two threads' ranges: the first leaves the other columns as they were.
    const half = Math.floor(IN / 2);
    kernel.f32(pdx, B * IN).fill(NaN);
    kernel.run("denseBackwardInput", args, [0, half]);
    const partial = a.read(pdx, B * IN);
    for (let b = 0; b < B; b++) {
      for (let c = half; c < IN; c++) {
        assert.ok(Number.isNaN(partial[b * IN + c]), `column ${c} of row ${b} untouched (${tag})`);
      }
    }
    kernel.run("denseBackwardInput", args, [half, IN]);
    assertClose(`dx in two ranges ${tag}`, a.read(pdx, B * IN), e.dx, { atol: 1e-4 });
  }
});

Deno.test("transpose and denseBackwardWeightT (weight gradient from a transposed input) match the reference", () => {
  const r = rand(31);
  for (const [B, IN, OUT] of [[5, 7, 9], [8, 12, 1030], [13, 6, 3]]) {
    const x = randArray(B * IN, r), dy = randArray(B * OUT, r);
    const [px, pxT, pdy, pdW, pdb] = [
      a.f32(x),
      a.f32(B * IN),
      a.f32(dy),
      a.f32(IN * OUT),
      a.f32(OUT),
    ];
    kernel.run("transpose", { out: pxT, inp: px, R: B, C: IN });
    const xT = a.read(pxT, B * IN);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < IN; j++) assert.equal(xT[j * B + i], x[i * IN + j]);
    }
    kernel.run("denseBackwardWeightT", {
      dWeight: pdW,
      dBias: pdb,
      inpT: pxT,
      dOut: pdy,
      B,
      IN,
      OUT,
      accumulate: 0,
    });
    const e = ref.denseBackward(dy, x, new Float32Array(IN * OUT), B, IN, OUT);
    assertClose(`dW from xT ${B}x${IN}x${OUT}`, a.read(pdW, IN * OUT), e.dW, { atol: 1e-4 });
    assertClose(`db from xT ${B}x${IN}x${OUT}`, a.read(pdb, OUT), e.db, { atol: 1e-4 });
  }
});

Deno.test("gemm spanning several K blocks matches the reference", () => {
  const r = rand(4);
  const [B, IN, OUT] = [7, 600, 13];
  const x = randArray(B * IN, r), W = randArray(IN * OUT, r), b = randArray(OUT, r);
  const [px, pW, pb, py] = [a.f32(x), a.f32(W), a.f32(b), a.f32(B * OUT)];
  kernel.run("denseForward", { out: py, inp: px, weight: pW, bias: pb, B, IN, OUT });
  assertClose("dense K=600", a.read(py, B * OUT), ref.denseForward(x, W, b, B, IN, OUT), {
    atol: 1e-3,
  });
});

Deno.test("denseForwardVec (batch 1) matches the reference and skips zero inputs correctly", () => {
  const r = rand(5);
  for (const [IN, OUT] of [[1, 1], [13, 7], [64, 256], [35, 101]]) {
    const x = randArray(IN, r).map((v) => (v < 0 ? 0 : v));
    const W = randArray(IN * OUT, r), b = randArray(OUT, r);
    const [px, pW, pb, py] = [a.f32(x), a.f32(W), a.f32(b), a.f32(OUT)];
    const args = { out: py, inp: px, weight: pW, bias: pb, IN, OUT };
    assert.equal(kernel.run("denseForwardVec", args), 0);
    assertClose(`vec ${IN}x${OUT}`, a.read(py, OUT), ref.denseForward(x, W, b, 1, IN, OUT), {
      atol: 1e-4,
    });
  }
});

Deno.test("reluForward and reluBackward match the reference on an odd length", () => {
  const r = rand(6);
  const n = 4099;
  const x = randArray(n, r), dy = randArray(n, r);
  const [px, py, pdy, pdx] = [a.f32(x), a.f32(n), a.f32(dy), a.f32(n)];
  kernel.run("reluForward", { out: py, inp: px, n });
  const y = ref.relu(x);
  assertClose("relu", a.read(py, n), y, { atol: 0 });
  kernel.run("reluBackward", { dInp: pdx, dOut: pdy, out: py, n });
  assertClose("relu backward", a.read(pdx, n), ref.reluBackward(dy, y), { atol: 0 });
});

Deno.test("batchNorm train/infer/backward match the reference, running stats included", () => {
  const r = rand(7);
  for (const [B, F] of [[1, 3], [2, 5], [7, 9], [32, 64], [13, 33]]) {
    const x = randArray(B * F, r, 3),
      gamma = randArray(F, r),
      beta = randArray(F, r),
      dy = randArray(B * F, r);
    const rm = randArray(F, r), rv = Float32Array.from(randArray(F, r), (v) => 1 + Math.abs(v));
    const [px, pg, pb, prm, prv] = [a.f32(x), a.f32(gamma), a.f32(beta), a.f32(rm), a.f32(rv)];
    const [py, pxh, pmu, pis] = [a.f32(B * F), a.f32(B * F), a.f32(F), a.f32(F)];
    // Two feature ranges, as two threads would run them.
    const half = Math.floor(F / 2);
    const train = {
      out: py,
      xhat: pxh,
      mean: pmu,
      invStd: pis,
      runMean: prm,
      runVar: prv,
      inp: px,
      gamma: pg,
      beta: pb,
      B,
      F,
      momentum: 0.1,
      eps: 1e-5,
    };
    kernel.run("batchNormForwardTrain", train, [0, half]);
    kernel.run("batchNormForwardTrain", train, [half, F]);
    const e = ref.batchNormTrain(x, gamma, beta, rm, rv, B, F, 0.1, 1e-5);
    const tag = `${B}x${F}`;
    assertClose(`bn y ${tag}`, a.read(py, B * F), e.y, { atol: 2e-4, rtol: 1e-3 });
    assertClose(`bn runMean ${tag}`, a.read(prm, F), e.runMean);
    assertClose(`bn runVar ${tag}`, a.read(prv, F), e.runVar, { rtol: 1e-3 });
    const [pdy, pdx, pdg, pdb] = [a.f32(dy), a.f32(B * F), a.f32(F), a.f32(F)];
    const back = {
      dInp: pdx,
      dGamma: pdg,
      dBeta: pdb,
      dOut: pdy,
      xhat: pxh,
      invStd: pis,
      gamma: pg,
      B,
      F,
    };
    kernel.run("batchNormBackward", back, [0, half]);
    kernel.run("batchNormBackward", back, [half, F]);
    const g = ref.batchNormBackward(dy, e.xhat, e.invStd, gamma, B, F);
    assertClose(`bn dx ${tag}`, a.read(pdx, B * F), g.dx, { atol: 5e-4, rtol: 1e-3 });
    assertClose(`bn dGamma ${tag}`, a.read(pdg, F), g.dGamma, { atol: 5e-4, rtol: 1e-3 });
    assertClose(`bn dBeta ${tag}`, a.read(pdb, F), g.dBeta, { atol: 1e-4 });
    kernel.run("batchNormForwardInfer", {
      out: py,
      inp: px,
      gamma: pg,
      beta: pb,
      runMean: prm,
      runVar: prv,
      B,
      F,
      eps: 1e-5,
    });
    assertClose(
      `bn infer ${tag}`,
      a.read(py, B * F),
      ref.batchNormInfer(x, gamma, beta, e.runMean, e.runVar, B, F, 1e-5),
      { atol: 2e-4, rtol: 1e-3 },
    );
  }
});

Deno.test("batchNorm inference with batch size 1 gives different outputs for different inputs", () => {
  const F = 6;
  const [pg, pb, prm, prv] = [
    a.f32(new Float32Array(F).fill(1)),
    a.f32(F),
    a.f32(F),
    a.f32(new Float32Array(F).fill(1)),
  ];
  const [p1, p2, py1, py2] = [
    a.f32([1, 2, 3, 4, 5, 6]),
    a.f32([6, 5, 4, 3, 2, 1]),
    a.f32(F),
    a.f32(F),
  ];
  const infer = { gamma: pg, beta: pb, runMean: prm, runVar: prv, B: 1, F, eps: 1e-5 };
  kernel.run("batchNormForwardInfer", { ...infer, out: py1, inp: p1 });
  kernel.run("batchNormForwardInfer", { ...infer, out: py2, inp: p2 });
  assert.notDeepEqual(a.read(py1, F), a.read(py2, F));
  assert.ok(Math.abs(a.read(py1, F)[0] - 1) < 1e-4);
});

Deno.test("softmax cross-entropy forward/backward match the reference, with and without correction", () => {
  const r = rand(8);
  for (const [B, C] of [[1, 1], [3, 7], [8, 16], [5, 1001], [2, 4096]]) {
    const logits = randArray(B * C, r, 20), corr = randArray(C, r, 3);
    const labels = Int32Array.from({ length: B }, (_, i) => (i * 7919) % C);
    for (const useCorr of [false, true]) {
      const [pl, plab, pc, pp] = [a.f32(logits), a.i32(labels), a.f32(corr), a.f32(B * C)];
      const loss = kernel.run("softmaxCrossEntropyForward", {
        probs: pp,
        logits: pl,
        labels: plab,
        corr: useCorr ? pc : 0,
        B,
        C,
      });
      const e = ref.softmaxCrossEntropy(logits, labels, useCorr ? corr : null, B, C);
      const tag = `${B}x${C}${useCorr ? " corr" : ""}`;
      assert.ok(
        Math.abs(loss - e.loss) < 1e-4 * Math.max(1, e.loss),
        `${tag} loss ${loss} vs ${e.loss}`,
      );
      assertClose(`probs ${tag}`, a.read(pp, B * C), e.probs, { atol: 1e-6, rtol: 1e-4 });
      kernel.run("softmaxCrossEntropyBackward", { dLogits: pp, probs: pp, labels: plab, B, C });
      assertClose(
        `dlogits ${tag}`,
        a.read(pp, B * C),
        ref.softmaxCrossEntropyBackward(e.probs, labels, B, C),
        { atol: 1e-6, rtol: 1e-4 },
      );
    }
  }
});

Deno.test("softmax cross-entropy stays finite for huge logits", () => {
  const [pl, plab, pp] = [a.f32([1e4, -1e4, 3e4, 0]), a.i32([0]), a.f32(4)];
  const loss = kernel.run("softmaxCrossEntropyForward", {
    probs: pp,
    logits: pl,
    labels: plab,
    corr: 0,
    B: 1,
    C: 4,
  });
  assert.ok(Math.abs(loss - 2e4) < 1, `loss ${loss}`);
  assert.ok(a.read(pp, 4).every(Number.isFinite));
});

Deno.test("adamStep matches the reference with and without weight decay over several steps", () => {
  const r = rand(9);
  const n = 37;
  for (const weightDecay of [0, 0.1]) {
    let p = Float64Array.from(randArray(n, r)), m = new Float64Array(n), v = new Float64Array(n);
    const [pp, pg, pm, pv] = [a.f32(p), a.f32(n), a.f32(n), a.f32(n)];
    for (let step = 1; step <= 3; step++) {
      const g = randArray(n, r);
      kernel.f32(pg, n).set(g);
      // Two element ranges, as two threads would run them.
      const args = { param: pp, grad: pg, m: pm, v: pv, n, ...HYPER, weightDecay, step };
      kernel.run("adamStep", args, [0, 16]);
      kernel.run("adamStep", args, [16, n]);
      ({ p, m, v } = ref.adam(p, g, m, v, {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay,
        step,
      }));
    }
    assertClose(`adam p wd=${weightDecay}`, a.read(pp, n), p, { atol: 1e-6 });
    assertClose(`adam v wd=${weightDecay}`, a.read(pv, n), v, { atol: 1e-7 });
  }
});

Deno.test("adamStepRows updates only the listed rows and clears their gradients", () => {
  const r = rand(10);
  const [R, L] = [6, 5];
  const p0 = randArray(R * L, r), g = randArray(R * L, r);
  const [pp, pg, pm, pv, prows] = [a.f32(p0), a.f32(g), a.f32(R * L), a.f32(R * L), a.i32([4, 1])];
  const args = {
    param: pp,
    grad: pg,
    m: pm,
    v: pv,
    rows: prows,
    count: 2,
    rowLen: L,
    ...HYPER,
    weightDecay: 0,
    step: 1,
    zeroGrad: 1,
  };
  kernel.run("adamStepRows", args, [0, 1]);
  kernel.run("adamStepRows", args, [1, 2]);
  const only = [4, 1].flatMap((row) => Array.from({ length: L }, (_, c) => row * L + c));
  const e = ref.adam(p0, g, new Float64Array(R * L), new Float64Array(R * L), {
    lr: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    step: 1,
  }, only);
  assertClose("lazy adam p", a.read(pp, R * L), e.p, { atol: 1e-6 });
  const grad = a.read(pg, R * L);
  for (let i = 0; i < R * L; i++) assert.equal(grad[i], only.includes(i) ? 0 : g[i]);
});

Deno.test("sparseBagForward/Backward match the reference, repeated rows included", () => {
  const r = rand(11);
  const [B, IN, OUT] = [4, 23, 13];
  const offsets = [0, 3, 3, 7, 9];
  const indices = [2, 5, 2, 22, 0, 5, 11, 7, 7];
  const values = randArray(indices.length, r);
  const W = randArray(IN * OUT, r), bias = randArray(OUT, r), dy = randArray(B * OUT, r);
  const [po, pi, pv, pW, pb, py] = [
    a.i32(offsets),
    a.i32(indices),
    a.f32(values),
    a.f32(W),
    a.f32(bias),
    a.f32(B * OUT),
  ];
  kernel.run("sparseBagForward", {
    out: py,
    offsets: po,
    indices: pi,
    values: pv,
    weight: pW,
    bias: pb,
    B,
    OUT,
  });
  assertClose(
    "bag forward",
    a.read(py, B * OUT),
    ref.sparseBagForward(offsets, indices, values, W, bias, B, OUT),
    { atol: 1e-5 },
  );
  const [pdy, pdW, pdb] = [a.f32(dy), a.f32(IN * OUT), a.f32(OUT)];
  const back = {
    dWeight: pdW,
    dBias: pdb,
    dOut: pdy,
    offsets: po,
    indices: pi,
    values: pv,
    B,
    OUT,
  };
  kernel.run("sparseBagBackward", back, [0, 5]);
  kernel.run("sparseBagBackward", back, [5, OUT]);
  const e = ref.sparseBagBackward(dy, offsets, indices, values, B, IN, OUT);
  assertClose("bag dW", a.read(pdW, IN * OUT), e.dW, { atol: 1e-5 });
  assertClose("bag db", a.read(pdb, OUT), e.db, { atol: 1e-5 });
  const [prows, pflags] = [a.i32(indices.length), a.i32(IN)];
  const n = kernel.run("uniqueRows", {
    rows: prows,
    flags: pflags,
    indices: pi,
    nnz: indices.length,
  });
  assert.deepEqual([...a.readI32(prows, n)], [2, 5, 22, 0, 11, 7]);
  assert.ok(a.readI32(pflags, IN).every((f) => f === 0));
});

Deno.test("gather/scatter of candidate columns and rows match the reference", () => {
  const r = rand(12);
  const [K, N] = [5, 11];
  const cols = [10, 3, 3, 0, 7];
  const src = randArray(K * N, r), block = randArray(K * cols.length, r), dst = randArray(K * N, r);
  const [ps, pc, pout, pblock, pdst] = [
    a.f32(src),
    a.i32(cols),
    a.f32(K * cols.length),
    a.f32(block),
    a.f32(dst),
  ];
  kernel.run("gatherColumns", { out: pout, src: ps, cols: pc, K, N, C: cols.length });
  assertClose("gatherColumns", a.read(pout, K * cols.length), ref.gatherColumns(src, cols, K, N), {
    atol: 0,
  });
  kernel.run("scatterAddColumns", { dst: pdst, src: pblock, cols: pc, K, N, C: cols.length });
  assertClose(
    "scatterAddColumns",
    a.read(pdst, K * N),
    ref.scatterAddColumns(dst, block, cols, K, N),
    { atol: 1e-6 },
  );
  // Rows of a K×N table are columns of its transpose: check against the column reference.
  const rows = [4, 0, 4];
  const [pr, prOut] = [a.i32(rows), a.f32(rows.length * N)];
  kernel.run("gatherRows", { out: prOut, src: ps, rows: pr, R: rows.length, L: N });
  const expected = rows.flatMap((row) => Array.from(src.subarray(row * N, row * N + N)));
  assertClose("gatherRows", a.read(prOut, rows.length * N), expected, { atol: 0 });
  const pdst2 = a.f32(K * N);
  kernel.run("scatterAddRows", { dst: pdst2, src: prOut, rows: pr, R: rows.length, L: N });
  const got = a.read(pdst2, K * N);
  for (let c = 0; c < N; c++) assert.ok(Math.abs(got[4 * N + c] - 2 * src[4 * N + c]) < 1e-6);
});

Deno.test("dropout matches the reference mask and keeps the expected fraction", () => {
  const r = rand(13);
  const n = 10001;
  const x = randArray(n, r), dy = randArray(n, r);
  const [px, py, pm, pdy, pdx] = [a.f32(x), a.f32(n), a.f32(n), a.f32(dy), a.f32(n)];
  kernel.run("dropoutForward", { out: py, mask: pm, inp: px, n, p: 0.3, seed: 12345 });
  const e = ref.dropout(x, 0.3, 12345);
  assertClose("dropout y", a.read(py, n), e.y, { atol: 1e-6 });
  assertClose("dropout mask", a.read(pm, n), e.mask, { atol: 1e-6 });
  const kept = e.mask.filter((m) => m > 0).length / n;
  assert.ok(Math.abs(kept - 0.7) < 0.02, `kept ${kept}`);
  kernel.run("dropoutBackward", { dInp: pdx, dOut: pdy, mask: pm, n });
  assertClose("dropout backward", a.read(pdx, n), Float64Array.from(dy, (g, i) => g * e.mask[i]), {
    atol: 1e-6,
  });
});

Deno.test("topK returns the best scores in order with ties by lower index and skips -Infinity", () => {
  const r = rand(14);
  const scores = Float32Array.from(randArray(1003, r), (v) => Math.round(v * 50));
  scores[17] = -Infinity;
  scores[900] = 1000;
  const [ps, pi, po] = [a.f32(scores), a.i32(50), a.f32(50)];
  const n = kernel.run("topK", { outIdx: pi, outScore: po, scores: ps, n: scores.length, k: 50 });
  assert.equal(n, 50);
  assert.deepEqual([...a.readI32(pi, n)], ref.topK(scores, 50));
  const few = a.f32([-Infinity, 2, -Infinity]);
  assert.equal(kernel.run("topK", { outIdx: pi, outScore: po, scores: few, n: 3, k: 5 }), 1);
});

// Batches below 16 take the dot-product path, 16 and more the gemm path (wasm/assembly/dense.ts).
const ROWS_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 64, 37],
  [3, 5, 7],
  [4, 17, 9],
  [15, 33, 30],
  [5, 300, 10],
  [16, 33, 30],
  [17, 16, 8],
  [37, 70, 259],
  [20, 600, 13],
];

Deno.test("denseForwardRows (W stored OUT×IN) matches the reference on both the dot-product and gemm paths, with and without bias", () => {
  const r = rand(15);
  for (const [B, IN, OUT] of ROWS_SHAPES) {
    const x = randArray(B * IN, r), W = randArray(OUT * IN, r), b = randArray(OUT, r);
    const [px, pW, pb, py] = [a.f32(x), a.f32(W), a.f32(b), a.f32(B * OUT)];
    const tag = `${B}x${IN}x${OUT} (${B < 16 ? "dot" : "gemm"})`;
    const args = { out: py, inp: px, weightRows: pW, bias: pb, B, IN, OUT };
    kernel.run("denseForwardRows", args);
    assertClose(`rows ${tag}`, a.read(py, B * OUT), ref.denseForwardRows(x, W, b, B, IN, OUT), {
      atol: IN > 256 ? 1e-3 : 1e-4,
    });
    kernel.run("denseForwardRows", { ...args, bias: 0 });
    assertClose(
      `rows nobias ${tag}`,
      a.read(py, B * OUT),
      ref.denseForwardRows(x, W, null, B, IN, OUT),
      { atol: IN > 256 ? 1e-3 : 1e-4 },
    );
  }
});

Deno.test("denseForwardRows writes only its column range and two ranges make the whole product, on both paths", () => {
  const r = rand(16);
  for (const B of [6, 24]) {
    const [IN, OUT] = [19, 29];
    const x = randArray(B * IN, r), W = randArray(OUT * IN, r), b = randArray(OUT, r);
    const [px, pW, pb] = [a.f32(x), a.f32(W), a.f32(b)];
    const py = a.f32(new Float32Array(B * OUT).fill(7));
    const args = { out: py, inp: px, weightRows: pW, bias: pb, B, IN, OUT };
    kernel.run("denseForwardRows", args, [3, 11]);
    const part = a.read(py, B * OUT);
    const e = ref.denseForwardRows(x, W, b, B, IN, OUT);
    for (let i = 0; i < B * OUT; i++) {
      const c = i % OUT;
      if (c < 3 || c >= 11) {
        assert.equal(part[i], 7, `B=${B}: column ${c} outside [3, 11) untouched`);
      } else {assert.ok(
          Math.abs(part[i] - e[i]) < 1e-4,
          `B=${B}: column ${c} of row ${(i / OUT) | 0}`,
        );}
    }
    kernel.run("denseForwardRows", args, [0, 13]);
    kernel.run("denseForwardRows", args, [13, OUT]);
    assertClose(`rows split B=${B}`, a.read(py, B * OUT), e, { atol: 1e-4 });
  }
});

Deno.test("denseForwardRows' backward recipe (denseForward for the input, swapped denseBackwardWeight for the rows) matches the reference", () => {
  const r = rand(17);
  for (const [B, IN, OUT] of [[3, 5, 7], [20, 12, 33]]) {
    const x = randArray(B * IN, r), W = randArray(OUT * IN, r), dy = randArray(B * OUT, r);
    const [px, pW, pdy, pdx, pdW, pdb] = [
      a.f32(x),
      a.f32(W),
      a.f32(dy),
      a.f32(B * IN),
      a.f32(OUT * IN),
      a.f32(OUT),
    ];
    // dx[B×IN] = dy[B×OUT] · W[OUT×IN]: a denseForward with W read as an OUT×IN weight.
    kernel.run("denseForward", { out: pdx, inp: pdy, weight: pW, bias: 0, B, IN: OUT, OUT: IN });
    // dW[OUT×IN] = dyᵀ · x: denseBackwardWeight with the roles of input and output swapped.
    kernel.run("denseBackwardWeight", {
      dWeight: pdW,
      dBias: 0,
      inp: pdy,
      dOut: px,
      B,
      IN: OUT,
      OUT: IN,
      accumulate: 0,
    });
    kernel.run("denseBackwardBias", { dBias: pdb, dOut: pdy, B, OUT });
    const e = ref.denseBackwardRows(dy, x, W, B, IN, OUT);
    const tag = `${B}x${IN}x${OUT}`;
    assertClose(`rows dx ${tag}`, a.read(pdx, B * IN), e.dx, { atol: 1e-4 });
    assertClose(`rows dW ${tag}`, a.read(pdW, OUT * IN), e.dW, { atol: 1e-4 });
    assertClose(`rows db ${tag}`, a.read(pdb, OUT), e.db, { atol: 1e-4 });
  }
});

Deno.test("denseBackwardBias overwrites its column range with the column sums and leaves other columns alone", () => {
  const r = rand(18);
  for (const [B, OUT] of [[1, 1], [3, 7], [16, 33], [9, 4099]]) {
    const dy = randArray(B * OUT, r);
    const [pdy, pdb] = [a.f32(dy), a.f32(new Float32Array(OUT).fill(5))];
    kernel.run("denseBackwardBias", { dBias: pdb, dOut: pdy, B, OUT });
    assertClose(`bias ${B}x${OUT}`, a.read(pdb, OUT), ref.denseBackwardBias(dy, B, OUT), {
      atol: 1e-5,
    });
  }
  const [B, OUT] = [5, 13];
  const dy = randArray(B * OUT, r);
  const [pdy, pdb] = [a.f32(dy), a.f32(new Float32Array(OUT).fill(5))];
  kernel.run("denseBackwardBias", { dBias: pdb, dOut: pdy, B, OUT }, [2, 9]);
  const got = a.read(pdb, OUT);
  const e = ref.denseBackwardBias(dy, B, OUT);
  for (let c = 0; c < OUT; c++) {
    if (c < 2 || c >= 9) assert.equal(got[c], 5, `column ${c} untouched`);
    else assert.ok(Math.abs(got[c] - e[c]) < 1e-5, `column ${c}`);
  }
});

Deno.test("peakFma returns a finite value that depends on how many rounds it ran", () => {
  const one = kernel.run("peakFma", { iters: 1000, repeats: 1 });
  const two = kernel.run("peakFma", { iters: 1000, repeats: 2 });
  assert.ok(Number.isFinite(one) && Number.isFinite(two), `${one}, ${two}`);
  assert.notEqual(one, two);
  assert.equal(
    kernel.run("peakFma", { iters: 1000, repeats: 9 }, [7, 9]),
    two,
    "only r1 − r0 counts",
  );
});

Deno.test("peakFma split over two threads runs every chunk: the sum is chunks × one chunk's value", async () => {
  const two = await Kernel.create({ threads: 2 });
  try {
    const chunk = two.run("peakFma", { iters: 2000, repeats: 1 });
    const total = two.split("peakFma", { iters: 2000, repeats: 24 }, { chunk: 1 });
    assert.equal(total, 24 * chunk);
    // The same call kept on one thread is one chunk of 24 rounds: a different value.
    const serial = two.split("peakFma", { iters: 2000, repeats: 24 }, { chunk: 1, serial: true });
    assert.equal(serial, two.run("peakFma", { iters: 2000, repeats: 24 }));
    assert.notEqual(serial, total);
  } finally {
    two.close();
  }
});

Deno.test("assertClose reports a mismatch (the comparisons above can fail)", () => {
  assert.throws(
    () => assertClose("x", [1, 2, 3], [1, 2.5, 3]),
    /1 of 3 values differ.*\[1\] got 2 expected 2.5/,
  );
});
