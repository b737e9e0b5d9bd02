/**
 * Float64 reference of the network in src/model/network, built from the op references in ops.ts:
 * bags over one shared embedding E (or a dense input) → (dense + BatchNorm + ReLU [+ dropout]) ×
 * hidden → [linear projection] → logits = u·Tᵀ + bo, T = O (its own V×K table) or E itself when
 * tied → softmax cross-entropy over every class or over sampled candidates (logQ correction, masked
 * entries). Returns the loss and the gradient of every parameter; written for clarity, not speed.
 */
import * as op from "./ops.ts";

/** The reference's shape: the same fields as the network's NetConfig. */
export interface RefShape {
  input: { kind: "dense"; width: number } | { kind: "bags"; bags: number; dim: number };
  hidden: number[];
  /** Width of the linear layer before the output (0: none). */
  projection: number;
  /** V: output classes (and the embedding's rows with bags input). */
  output: number;
  tied: boolean;
  batchNorm: boolean;
  bnEps: number;
}

/** Every parameter tensor (W*, Wp are IN×OUT; E and O are V×width row tables). */
export interface RefParams {
  E?: Float64Array;
  W: Float64Array[];
  b: Float64Array[];
  gamma: Float64Array[];
  beta: Float64Array[];
  Wp?: Float64Array;
  bp?: Float64Array;
  O?: Float64Array;
  bo: Float64Array;
}

/** BatchNorm running statistics, per hidden layer (inference only). */
export interface RefStats {
  runMean: ArrayLike<number>[];
  runVar: ArrayLike<number>[];
}

/** A batch: dense rows or CSR bags (one row per (history, bag)), labels, optional sampling. */
export interface RefBatch {
  B: number;
  x?: ArrayLike<number>;
  bags?: { offsets: ArrayLike<number>; indices: ArrayLike<number>; values: ArrayLike<number> };
  labels: ArrayLike<number>;
  /** Sampled softmax: the scored classes; labels index into this list. */
  candidates?: ArrayLike<number>;
  /** Added to each candidate's logit. */
  correction?: ArrayLike<number>;
  /** Entries `row · C + column` of the candidate logits set to {@link MASKED}. */
  mask?: ArrayLike<number>;
  /** Per hidden layer, the dropout mask (0 or 1/(1−p)) multiplied into its ReLU output. */
  dropoutMasks?: ArrayLike<number>[];
}

/** The logit a masked entry gets: its probability is exactly 0 in float64. */
export const MASKED = -1e30;

/** Width of the first hidden layer's input. */
export function refInputWidth(s: RefShape): number {
  return s.input.kind === "dense" ? s.input.width : s.input.bags * s.input.dim;
}

/** K: width of the vector the output table is multiplied with. */
export function refOutputWidth(s: RefShape): number {
  return s.projection || s.hidden[s.hidden.length - 1];
}

function input(s: RefShape, p: RefParams, batch: RefBatch): ArrayLike<number> {
  if (s.input.kind === "dense") return batch.x!;
  const { offsets, indices, values } = batch.bags!;
  // One CSR row per (history, bag): the B·bags rows of dim values are the B rows of x side by side.
  return op.sparseBagForward(
    offsets,
    indices,
    values,
    p.E!,
    null,
    batch.B * s.input.bags,
    s.input.dim,
  );
}

/** Training-mode forward (batch statistics) and backward: the mean loss and every gradient. */
export function lossAndGrads(s: RefShape, p: RefParams, batch: RefBatch) {
  const B = batch.B;
  const [X, K, V] = [refInputWidth(s), refOutputWidth(s), s.output];
  const x = input(s, p, batch);
  const saved: {
    inp: ArrayLike<number>;
    y: Float64Array;
    xhat?: Float64Array;
    invStd?: Float64Array;
  }[] = [];
  let h: ArrayLike<number> = x;
  let width = X;
  s.hidden.forEach((F, l) => {
    const z = op.denseForward(h, p.W[l], p.b[l], B, width, F);
    let pre = z;
    let bn: ReturnType<typeof op.batchNormTrain> | undefined;
    if (s.batchNorm) {
      const zero = new Float64Array(F);
      bn = op.batchNormTrain(z, p.gamma[l], p.beta[l], zero, zero, B, F, 0.1, s.bnEps);
      pre = bn.y;
    }
    const y = op.relu(pre);
    saved.push({ inp: h, y, xhat: bn?.xhat, invStd: bn?.invStd });
    const mask = batch.dropoutMasks?.[l];
    h = mask ? y.map((v, i) => v * mask[i]) : y;
    width = F;
  });
  const H = width;
  const last = h;
  const u = s.projection ? op.denseForward(last, p.Wp!, p.bp!, B, H, K) : last;
  const table = s.tied ? p.E! : p.O!;
  const cand = batch.candidates;
  const rows = cand ? op.gatherRows(table, cand, K) : table;
  const bias = cand ? op.gatherColumns(p.bo, cand, 1, V) : p.bo;
  const C = cand ? cand.length : V;
  const logits = op.denseForwardRows(u, rows, bias, B, K, C);
  for (const at of Array.from(batch.mask ?? [])) logits[at] = MASKED;
  const sm = op.softmaxCrossEntropy(logits, batch.labels, batch.correction ?? null, B, C);

  const g: RefParams = { W: [], b: [], gamma: [], beta: [], bo: new Float64Array(V) };
  const dLogits = op.softmaxCrossEntropyBackward(sm.probs, batch.labels, B, C);
  const out = op.denseBackwardRows(dLogits, u, rows, B, K, C);
  const dTable = cand ? op.scatterAddRows(new Float64Array(V * K), out.dW, cand, K) : out.dW;
  g.bo = cand ? op.scatterAddColumns(new Float64Array(V), out.db, cand, 1, V) : out.db;
  let d: Float64Array = out.dx;
  if (s.projection) {
    const pg = op.denseBackward(d, last, p.Wp!, B, H, K);
    [g.Wp, g.bp, d] = [pg.dW, pg.db, pg.dx];
  }
  for (let l = s.hidden.length - 1; l >= 0; l--) {
    const F = s.hidden[l];
    const IN = l === 0 ? X : s.hidden[l - 1];
    const mask = batch.dropoutMasks?.[l];
    if (mask) d = d.map((v, i) => v * mask[i]);
    d = op.reluBackward(d, saved[l].y);
    if (s.batchNorm) {
      const bn = op.batchNormBackward(d, saved[l].xhat!, saved[l].invStd!, p.gamma[l], B, F);
      [g.gamma[l], g.beta[l], d] = [bn.dGamma, bn.dBeta, bn.dx];
    }
    const dg = op.denseBackward(d, saved[l].inp, p.W[l], B, IN, F);
    [g.W[l], g.b[l], d] = [dg.dW, dg.db, dg.dx];
  }
  if (s.input.kind === "bags") {
    const { offsets, indices, values } = batch.bags!;
    const { bags, dim } = s.input;
    g.E = op.sparseBagBackward(d, offsets, indices, values, B * bags, V, dim).dW;
    if (s.tied) g.E = g.E.map((v, i) => v + dTable[i]);
  }
  if (!s.tied) g.O = dTable;
  return { loss: sm.loss, logits, probs: sm.probs, grads: g };
}

/** Inference-mode logits over every class (running statistics, no dropout), B×V. */
export function inferLogits(s: RefShape, p: RefParams, stats: RefStats, batch: RefBatch) {
  const B = batch.B;
  let h: ArrayLike<number> = input(s, p, batch);
  let width = refInputWidth(s);
  s.hidden.forEach((F, l) => {
    let z = op.denseForward(h, p.W[l], p.b[l], B, width, F);
    if (s.batchNorm) {
      z = op.batchNormInfer(
        z,
        p.gamma[l],
        p.beta[l],
        stats.runMean[l],
        stats.runVar[l],
        B,
        F,
        s.bnEps,
      );
    }
    h = op.relu(z);
    width = F;
  });
  const K = refOutputWidth(s);
  const u = s.projection ? op.denseForward(h, p.Wp!, p.bp!, B, width, K) : h;
  return op.denseForwardRows(u, s.tied ? p.E! : p.O!, p.bo, B, K, s.output);
}
