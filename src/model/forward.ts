/** The forward pass: schedules kernel calls layer by layer (dense or sparse input, BN, ReLU, dropout, softmax). */
import { invalid } from "../errors.ts";
import type { CandidateOptions, Mode } from "./batch.ts";
import type { Mlp } from "./mlp.ts";
import { denseOp, splitOp } from "./dispatch.ts";

// Widest input the kernel's batch-1 path compacts (MAX_VEC_IN in wasm/assembly/thread.ts).
const MAX_VEC_IN = 65536;

/**
 * Forward over the batch in the arena. Returns the mean softmax cross-entropy in "train" mode
 * (over the candidates when given), NaN in "infer" mode (logits are left in `logits`).
 */
export function forwardPass(mlp: Mlp, mode: Mode, options: Partial<CandidateOptions>): number {
  const c = mlp.config;
  const B = mlp.current.rows;
  const d = mlp.dims;
  const L = d.length - 1;
  let inp = c.sparseInput ? 0 : mlp.at("x");
  for (let l = 0; l < L; l++) {
    const [IN, OUT] = [d[l], d[l + 1]];
    const last = l === L - 1;
    if (last && options.candidates) {
      return candidateHead(mlp, inp, options as CandidateOptions);
    }
    const out = last ? mlp.at("logits") : mlp.at(`z${l}`);
    const [W, b] = [mlp.at(`p:W${l}`), mlp.at(`p:b${l}`)];
    if (l === 0 && c.sparseInput) {
      const args = [out, mlp.at("offsets"), mlp.at("indices"), mlp.at("values"), W, b, B, OUT];
      splitOp(mlp, {
        name: "sparseBagForward",
        args,
        total: B,
        work: mlp.current.nnz * OUT,
        chunk: 8,
      });
    } else if (B === 1 && IN <= MAX_VEC_IN) {
      mlp.kernel.fn.denseForwardVec(out, inp, W, b, IN, OUT, 0, OUT);
    } else {
      const args = [out, inp, W, b, B, IN, OUT];
      denseOp(mlp, { name: "denseForward", args, macs: B * IN * OUT, cols: OUT });
    }
    if (last) break;
    inp = hiddenForward(mlp, l, mode, B, OUT);
  }
  mlp.current.candidates = 0;
  if (mode === "infer") return NaN;
  return softmax(mlp, mlp.at("logits"), B, c.output, 0);
}

// BN (train: batch statistics; infer: running statistics) → ReLU → dropout for hidden layer l;
// returns the next layer's input.
function hiddenForward(mlp: Mlp, l: number, mode: Mode, B: number, F: number): number {
  const k = mlp.kernel.fn;
  const c = mlp.config;
  const [z, h] = [mlp.at(`z${l}`), mlp.at(`h${l}`)];
  if (c.batchNorm && mode === "train") {
    const args = [h, mlp.at(`xhat${l}`), mlp.at(`mean${l}`), mlp.at(`invStd${l}`)];
    args.push(mlp.at(`runMean${l}`), mlp.at(`runVar${l}`), z, mlp.at(`p:gamma${l}`));
    args.push(mlp.at(`p:beta${l}`), B, F, c.bnMomentum, c.bnEps);
    splitOp(mlp, { name: "batchNormForwardTrain", args, total: F, work: B * F, chunk: 32 });
  } else if (c.batchNorm) {
    const [gamma, beta] = [mlp.at(`p:gamma${l}`), mlp.at(`p:beta${l}`)];
    k.batchNormForwardInfer(
      h,
      z,
      gamma,
      beta,
      mlp.at(`runMean${l}`),
      mlp.at(`runVar${l}`),
      B,
      F,
      c.bnEps,
    );
  }
  k.reluForward(h, c.batchNorm ? h : z, B * F);
  if (mode !== "train" || c.dropout === 0) return h;
  // A fresh, seed-determined mask per draw: (seed, draw number) → 32-bit dropout seed.
  const draw = ++mlp.current.dropoutDraws;
  const seed = (Math.imul(c.seed, 0x2545f491) + Math.imul(draw, 0x9e3779b9)) >>> 0;
  k.dropoutForward(mlp.at(`hd${l}`), mlp.at(`mask${l}`), h, B * F, c.dropout, seed);
  return mlp.at(`hd${l}`);
}

// Sampled softmax: gather the candidates' weight columns into a contiguous block, score them.
function candidateHead(mlp: Mlp, inp: number, o: CandidateOptions): number {
  const k = mlp.kernel.fn;
  const B = mlp.current.rows;
  const C = o.candidates.length;
  const L = mlp.dims.length - 1;
  const [K, N] = [mlp.dims[L - 1], mlp.dims[L]];
  if (C < 1 || C > mlp.config.maxCandidates) {
    throw invalid(
      `got ${C} candidates: expected 1..${mlp.config.maxCandidates} (config.maxCandidates)`,
    );
  }
  for (const col of o.candidates) {
    if (!(col >= 0 && col < N)) throw invalid(`candidate ${col} is outside 0..${N - 1}`);
  }
  for (const label of mlp.kernel.i32(mlp.at("labels"), B)) {
    if (label >= C) throw invalid(`label ${label} does not index the ${C} candidates`);
  }
  mlp.kernel.i32(mlp.at("cand"), C).set(o.candidates);
  if (o.correction) {
    if (o.correction.length !== C) {
      throw invalid(`correction has ${o.correction.length} values for ${C} candidates`);
    }
    mlp.kernel.f32(mlp.at("corr"), C).set(o.correction);
  }
  k.gatherColumns(mlp.at("Wc"), mlp.at(`p:W${L - 1}`), mlp.at("cand"), K, N, C);
  k.gatherColumns(mlp.at("bc"), mlp.at(`p:b${L - 1}`), mlp.at("cand"), 1, N, C);
  const args = [mlp.at("clogits"), inp, mlp.at("Wc"), mlp.at("bc"), B, K, C];
  denseOp(mlp, { name: "denseForward", args, macs: B * K * C, cols: C });
  if (o.mask?.length) {
    // Far below any logit: the softmax's exp clamps it to 0 within float precision.
    const logits = mlp.kernel.f32(mlp.at("clogits"), B * C);
    for (const at of o.mask) {
      if (!(at >= 0 && at < B * C)) throw invalid(`mask entry ${at} is outside 0..${B * C - 1}`);
      logits[at] = -1e30;
    }
  }
  mlp.current.candidates = C;
  return softmax(mlp, mlp.at("clogits"), B, C, o.correction ? mlp.at("corr") : 0);
}

function softmax(mlp: Mlp, logits: number, B: number, C: number, corr: number): number {
  const args = [mlp.at("probs"), logits, mlp.at("labels"), corr, B, C];
  const chunk = Math.max(1, Math.ceil(16384 / C));
  return splitOp(mlp, { name: "softmaxCrossEntropyForward", args, total: B, work: B * C, chunk });
}
