/** The backward pass and the Adam step: schedules kernel calls; gradients land in the arena's grad slab. */
import { denseOp, splitOp } from "./dispatch.ts";
import type { Mlp } from "./mlp.ts";

/** Backpropagates the loss of the last "train" forward into every parameter gradient. */
export function backwardPass(mlp: Mlp): void {
  const k = mlp.kernel.fn;
  const c = mlp.config;
  const { rows: B, nnz, candidates } = mlp.current;
  const d = mlp.dims;
  const L = d.length - 1;
  const C = candidates || c.output;
  const [probs, labels] = [mlp.at("probs"), mlp.at("labels")];
  const rowChunk = Math.max(1, Math.ceil(16384 / C));
  const args = [probs, probs, labels, B, C];
  splitOp(mlp, {
    name: "softmaxCrossEntropyBackward",
    args,
    total: B,
    work: B * C,
    chunk: rowChunk,
  });
  let dOut = probs;
  let spare = [mlp.at("dA"), mlp.at("dB")];
  for (let l = L - 1; l >= 0; l--) {
    const [IN, OUT] = [d[l], d[l + 1]];
    const inp = l === 0 ? (c.sparseInput ? 0 : mlp.at("x")) : layerInput(mlp, l - 1);
    const dIn = spare[0];
    const cand = l === L - 1 && candidates > 0;
    const [W, gW, gb, width] = cand
      ? [mlp.at("Wc"), mlp.at("gWc"), mlp.at("gbc"), C]
      : [mlp.at(`p:W${l}`), mlp.at(`g:W${l}`), mlp.at(`g:b${l}`), OUT];
    if (l === 0 && c.sparseInput) {
      const args = [gW, gb, dOut, mlp.at("offsets"), mlp.at("indices"), mlp.at("values"), B, OUT];
      splitOp(mlp, { name: "sparseBagBackward", args, total: OUT, work: nnz * OUT, chunk: 32 });
    } else {
      if (width >= 1024) {
        // Wide layer: transposing the input once lets the product read A along whole cache lines.
        mlp.kernel.fn.transpose(mlp.at("xT"), inp, B, IN);
        const args = [gW, gb, mlp.at("xT"), dOut, B, IN, width, 0];
        denseOp(mlp, { name: "denseBackwardWeightT", args, macs: B * IN * width, cols: width });
      } else {
        const args = [gW, gb, inp, dOut, B, IN, width, 0];
        denseOp(mlp, { name: "denseBackwardWeight", args, macs: B * IN * width, cols: width });
      }
      if (l > 0) {
        const args = [dIn, dOut, W, B, IN, width];
        denseOp(mlp, { name: "denseBackwardInput", args, macs: B * IN * width, cols: IN });
      }
    }
    if (cand) {
      // Only the candidates' columns get gradient; the rest of the full-size gradient is zero.
      k.fill(mlp.at(`g:W${l}`), 0, IN * OUT);
      k.fill(mlp.at(`g:b${l}`), 0, OUT);
      k.scatterAddColumns(mlp.at(`g:W${l}`), gW, mlp.at("cand"), IN, OUT, C);
      k.scatterAddColumns(mlp.at(`g:b${l}`), gb, mlp.at("cand"), 1, OUT, C);
    }
    if (l === 0) break;
    hiddenBackward(mlp, l - 1, dIn, B, IN);
    dOut = dIn;
    spare = [spare[1], spare[0]];
  }
}

function layerInput(mlp: Mlp, l: number): number {
  return mlp.config.dropout > 0 ? mlp.at(`hd${l}`) : mlp.at(`h${l}`);
}

// In place on g: dropout → ReLU → BatchNorm backward of hidden layer l.
function hiddenBackward(mlp: Mlp, l: number, g: number, B: number, F: number): void {
  const k = mlp.kernel.fn;
  const n = B * F;
  if (mlp.config.dropout > 0) k.dropoutBackward(g, g, mlp.at(`mask${l}`), n);
  k.reluBackward(g, g, mlp.at(`h${l}`), n);
  if (mlp.config.batchNorm) {
    const args = [g, mlp.at(`g:gamma${l}`), mlp.at(`g:beta${l}`), g, mlp.at(`xhat${l}`)];
    args.push(mlp.at(`invStd${l}`), mlp.at(`p:gamma${l}`), B, F);
    splitOp(mlp, { name: "batchNormBackward", args, total: F, work: n, chunk: 32 });
  }
}

/**
 * One Adam update from the last backward: lazy (touched rows only) for a sparse input table,
 * dense with decoupled weight decay for weight matrices, dense without decay for the rest.
 */
export function adamPass(mlp: Mlp): void {
  const a = mlp.config.adam;
  const t = ++mlp.steps;
  const { groups, slab } = mlp.layout;
  const base = mlp.base;
  if (mlp.config.sparseInput) {
    const [W, rows] = [mlp.at("p:W0"), mlp.at("rows")];
    const n = mlp.kernel.fn.uniqueRows(rows, mlp.at("flags"), mlp.at("indices"), mlp.current.nnz);
    const F = mlp.dims[1];
    const args = [W, W + slab.grad, W + slab.m, W + slab.v, rows, n, F];
    args.push(a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, t, 1);
    const chunk = Math.max(16, Math.ceil(16384 / F));
    splitOp(mlp, { name: "adamStepRows", args, total: n, work: n * F, chunk });
  }
  for (const [g, wd] of [["decay", a.weightDecay], ["plain", 0]] as const) {
    const p = base + groups[g].offset;
    const n = groups[g].length;
    const args = [
      p,
      p + slab.grad,
      p + slab.m,
      p + slab.v,
      n,
      a.lr,
      a.beta1,
      a.beta2,
      a.eps,
      wd,
      t,
    ];
    splitOp(mlp, { name: "adamStep", args, total: n, work: n, chunk: 32768 });
  }
}
