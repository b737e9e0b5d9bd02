/** Float64 reference MLP (dense or sparse input, BatchNorm + ReLU hidden layers, full or candidate softmax). */
import * as op from "./ops.ts";

/** The reference network's parameters, layer by layer (W is IN×OUT). */
export interface RefParams {
  W: Float64Array[];
  b: Float64Array[];
  gamma: Float64Array[];
  beta: Float64Array[];
}

/** One training batch for the reference: dense x (B×dims[0]) or CSR rows, plus labels. */
export interface RefBatch {
  B: number;
  x?: ArrayLike<number>;
  sparse?: { offsets: ArrayLike<number>; indices: ArrayLike<number>; values: ArrayLike<number> };
  labels: ArrayLike<number>;
  candidates?: ArrayLike<number>;
  correction?: ArrayLike<number>;
}

/** Mean training-mode loss and every parameter gradient (same names as RefParams). */
export function lossAndGrads(
  p: RefParams,
  dims: number[],
  batchNorm: boolean,
  batch: RefBatch,
  eps = 1e-5,
) {
  const L = dims.length - 1;
  const B = batch.B;
  const inputs: ArrayLike<number>[] = [];
  const saved: { y: Float64Array; xhat?: Float64Array; invStd?: Float64Array }[] = [];
  let h: ArrayLike<number> = batch.x ?? [];
  let Wl = p.W[L - 1], bl = p.b[L - 1], N = dims[L];
  if (batch.candidates) {
    Wl = op.gatherColumns(p.W[L - 1], batch.candidates, dims[L - 1], dims[L]);
    bl = op.gatherColumns(p.b[L - 1], batch.candidates, 1, dims[L]);
    N = batch.candidates.length;
  }
  for (let l = 0; l < L; l++) {
    inputs.push(h);
    const [W, b, OUT] = l === L - 1 ? [Wl, bl, N] : [p.W[l], p.b[l], dims[l + 1]];
    const z = l === 0 && batch.sparse
      ? op.sparseBagForward(
        batch.sparse.offsets,
        batch.sparse.indices,
        batch.sparse.values,
        W,
        b,
        B,
        OUT,
      )
      : op.denseForward(h, W, b, B, dims[l], OUT);
    if (l === L - 1) {
      h = z;
      break;
    }
    if (batchNorm) {
      const zero = new Float64Array(OUT);
      const bn = op.batchNormTrain(z, p.gamma[l], p.beta[l], zero, zero, B, OUT, 0.1, eps);
      const y = op.relu(bn.y);
      saved.push({ y, xhat: bn.xhat, invStd: bn.invStd });
      h = y;
    } else {
      const y = op.relu(z);
      saved.push({ y });
      h = y;
    }
  }
  const sm = op.softmaxCrossEntropy(h, batch.labels, batch.correction ?? null, B, N);
  let d: Float64Array = op.softmaxCrossEntropyBackward(sm.probs, batch.labels, B, N);
  const grads: RefParams = { W: [], b: [], gamma: [], beta: [] };
  for (let l = L - 1; l >= 0; l--) {
    const OUT = l === L - 1 ? N : dims[l + 1];
    if (l === 0 && batch.sparse) {
      const g = op.sparseBagBackward(
        d,
        batch.sparse.offsets,
        batch.sparse.indices,
        batch.sparse.values,
        B,
        dims[0],
        OUT,
      );
      grads.W[0] = g.dW;
      grads.b[0] = g.db;
      break;
    }
    const g = op.denseBackward(d, inputs[l], l === L - 1 ? Wl : p.W[l], B, dims[l], OUT);
    if (l === L - 1 && batch.candidates) {
      grads.W[l] = op.scatterAddColumns(
        new Float64Array(dims[l] * dims[L]),
        g.dW,
        batch.candidates,
        dims[l],
        dims[L],
      );
      grads.b[l] = op.scatterAddColumns(
        new Float64Array(dims[L]),
        g.db,
        batch.candidates,
        1,
        dims[L],
      );
    } else {
      grads.W[l] = g.dW;
      grads.b[l] = g.db;
    }
    if (l === 0) break;
    const s = saved[l - 1];
    d = op.reluBackward(g.dx, s.y);
    if (batchNorm) {
      const bn = op.batchNormBackward(d, s.xhat!, s.invStd!, p.gamma[l - 1], B, dims[l]);
      grads.gamma[l - 1] = bn.dGamma;
      grads.beta[l - 1] = bn.dBeta;
      d = bn.dx;
    }
  }
  return { loss: sm.loss, grads };
}
