/**
 * The backward pass: from the softmax gradient back through the output table, the projection,
 * the hidden layers and the bag sums; gradients land in the arena's grad slab. The output table
 * and the embedding are row tables: their gradients are scattered into the touched rows only
 * (the rest stays zero, which the lazy Adam rows of adam.ts rely on).
 */
import type { Arena } from "./arena.ts";
import { inputWidth, outputWidth } from "./config.ts";
import { elementwise, product } from "./dispatch.ts";
import { hiddenOutput, outputInput } from "./forward.ts";
import { outputTable } from "./plan.ts";

/** Backpropagates the loss of the last "train" forward into every parameter gradient. */
export function backwardPass(a: Arena): void {
  const c = a.config;
  const { rows: B, candidates } = a.current;
  const [K, V] = [outputWidth(c), c.output];
  const C = candidates || V;
  const probs = a.at("probs");
  const rowChunk = Math.max(1, Math.ceil(16384 / C));
  elementwise(a, "softmaxCrossEntropyBackward", {
    dLogits: probs,
    probs,
    labels: a.at("labels"),
    B,
    C,
  }, { work: B * C, chunk: rowChunk });
  let [g, spare] = [a.at("dA"), a.at("dB")];
  outputBackward(a, { dLogits: probs, du: g, B, K, C });
  if (c.projection) {
    const H = c.hidden[c.hidden.length - 1];
    const h = hiddenOutput(a, c.hidden.length - 1);
    const wArgs = { dWeight: a.at("g:Wp"), dBias: a.at("g:bp"), inp: h, dOut: g };
    product(a, "denseBackwardWeight", { ...wArgs, B, IN: H, OUT: K, accumulate: 0 }, B * H * K);
    const iArgs = { dInp: spare, dOut: g, weight: a.at("p:Wp"), B, IN: H, OUT: K };
    product(a, "denseBackwardInput", iArgs, B * H * K);
    [g, spare] = [spare, g];
  }
  for (let l = c.hidden.length - 1; l >= 0; l--) {
    const F = c.hidden[l];
    const IN = l === 0 ? inputWidth(c) : c.hidden[l - 1];
    hiddenBackward(a, { l, g, B, F });
    const inp = l === 0 ? a.at("x") : hiddenOutput(a, l - 1);
    const wArgs = { dWeight: a.at(`g:W${l}`), dBias: a.at(`g:b${l}`), inp, dOut: g };
    product(a, "denseBackwardWeight", { ...wArgs, B, IN, OUT: F, accumulate: 0 }, B * IN * F);
    if (l === 0 && c.input.kind !== "bags") break;
    const iArgs = { dInp: spare, dOut: g, weight: a.at(`p:W${l}`), B, IN, OUT: F };
    product(a, "denseBackwardInput", iArgs, B * IN * F);
    [g, spare] = [spare, g];
  }
  if (c.input.kind === "bags") {
    const { bags, dim } = c.input;
    const args = {
      dWeight: a.at("g:E"),
      dBias: 0,
      dOut: g,
      offsets: a.at("offsets"),
      indices: a.at("indices"),
      values: a.at("values"),
      B: B * bags,
      OUT: dim,
    };
    elementwise(a, "sparseBagBackward", args, { work: a.current.nnz * dim, chunk: 32 });
  }
}

// Output layer logits = u · Oᵀ + bo: du = dLogits · O, and the row gradients of O (and bo) —
// only the candidates' rows for a sampled softmax, scattered into the full-size gradient.
function outputBackward(
  a: Arena,
  s: { dLogits: number; du: number; B: number; K: number; C: number },
): void {
  const c = a.config;
  const { dLogits, du, B, K, C } = s;
  const V = c.output;
  const u = outputInput(a);
  const table = outputTable(c);
  const sampled = a.current.candidates > 0;
  const [rows, gRows, gBias] = sampled
    ? [a.at("Oc"), a.at("gOc"), a.at("gbc")]
    : [a.at(`p:${table}`), a.at(`g:${table}`), a.at("g:bo")];
  product(a, "denseForward", {
    out: du,
    inp: dLogits,
    weight: rows,
    bias: 0,
    B,
    IN: C,
    OUT: K,
  }, B * C * K);
  // dO[C×K] = dLogitsᵀ · u: denseBackwardWeight with the roles of input and output swapped.
  const wArgs = { dWeight: gRows, dBias: 0, inp: dLogits, dOut: u, B, IN: C, OUT: K };
  // A tied full-softmax gradient overwrites the embedding's gradient before the bags add to it.
  product(a, "denseBackwardWeight", { ...wArgs, accumulate: 0 }, B * C * K);
  elementwise(a, "denseBackwardBias", { dBias: gBias, dOut: dLogits, B, OUT: C }, {
    work: B * C,
    chunk: 256,
  });
  if (!sampled) return;
  const k = a.kernel;
  const cand = a.at("cand");
  k.run("scatterAddRows", { dst: a.at(`g:${table}`), src: gRows, rows: cand, R: C, L: K });
  k.run("fill", { dst: a.at("g:bo"), value: 0, n: V });
  k.run("scatterAddColumns", { dst: a.at("g:bo"), src: gBias, cols: cand, K: 1, N: V, C });
}

// In place on g: dropout → ReLU → BatchNorm backward of hidden layer l.
function hiddenBackward(a: Arena, s: { l: number; g: number; B: number; F: number }): void {
  const { l, g, B, F } = s;
  const k = a.kernel;
  const n = B * F;
  const c = a.config;
  if (c.dropout > 0) k.run("dropoutBackward", { dInp: g, dOut: g, mask: a.at(`mask${l}`), n });
  k.run("reluBackward", { dInp: g, dOut: g, out: a.at(`h${l}`), n });
  if (c.batchNorm) {
    const args = {
      dInp: g,
      dGamma: a.at(`g:gamma${l}`),
      dBeta: a.at(`g:beta${l}`),
      dOut: g,
      xhat: a.at(`xhat${l}`),
      invStd: a.at(`invStd${l}`),
      gamma: a.at(`p:gamma${l}`),
      B,
      F,
    };
    elementwise(a, "batchNormBackward", args, { work: n, chunk: 32 });
  }
}
