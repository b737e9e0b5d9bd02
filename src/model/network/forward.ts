/**
 * The forward pass: schedules kernel calls stage by stage — bag sums over the shared embedding,
 * dense + BatchNorm + ReLU + dropout layers, the projection, and the output table (full, or a
 * sampled candidate block) with the softmax cross-entropy.
 */
import { internal } from "../../errors.ts";
import type { Arena } from "./arena.ts";
import type { CandidateOptions, Mode } from "./batch.ts";
import { inputWidth, outputWidth } from "./config.ts";
import { elementwise, product } from "./dispatch.ts";
import { outputTable } from "./plan.ts";

// Widest input the kernel's batch-1 path compacts (MAX_VEC_IN in wasm/assembly/thread.ts).
const MAX_VEC_IN = 65536;

/**
 * Forward over the batch in the arena. Returns the mean softmax cross-entropy in "train" mode
 * (over the candidates when given), NaN in "infer" mode (logits are left in `logits`).
 */
export function forwardPass(a: Arena, mode: Mode, options: Partial<CandidateOptions>): number {
  const c = a.config;
  const B = a.current.rows;
  const inp = representPass(a, mode);
  if (options.candidates) return candidateHead(a, inp, options as CandidateOptions);
  a.current.candidates = 0;
  const [K, V] = [outputWidth(c), c.output];
  const args = {
    out: a.at("logits"),
    inp,
    weightRows: a.at(`p:${outputTable(c)}`),
    bias: a.at("p:bo"),
    B,
    IN: K,
    OUT: V,
  };
  product(a, "denseForwardRows", args, B * K * V);
  if (mode === "infer") return NaN;
  return softmax(a, { logits: a.at("logits"), B, C: V, corr: 0 });
}

/**
 * Everything before the output table: bag sums, hidden layers, projection. Returns the byte
 * offset of the B×K vectors u the scores are made of (score of movie v = u · O[v] + bo[v]).
 */
export function representPass(a: Arena, mode: Mode): number {
  const c = a.config;
  const B = a.current.rows;
  if (B < 1) throw internal("forward() before any batch was written");
  if (c.input.kind === "bags") bagSums(a, B);
  let inp = a.at("x");
  let width = inputWidth(c);
  const layer = c.groups > 1 ? groupedDense : dense;
  c.hidden.forEach((F, l) => {
    const t = { out: a.at(`z${l}`), inp, weight: a.at(`p:W${l}`), bias: a.at(`p:b${l}`) };
    layer(a, t, { B, IN: width, OUT: F, first: l === 0 });
    inp = hiddenForward(a, { l, mode, B, F });
    width = F;
  });
  if (c.projection) {
    const out = a.at("u");
    const t = { out, inp, weight: a.at("p:Wp"), bias: a.at("p:bp") };
    layer(a, t, { B, IN: width, OUT: c.projection, first: false });
    inp = out;
  }
  return inp;
}

/** The input of the output layer: the projection, or the last hidden layer's activation. */
export function outputInput(a: Arena): number {
  const c = a.config;
  if (c.projection) return a.at("u");
  return hiddenOutput(a, c.hidden.length - 1);
}

/** Hidden layer l's activation as the next layer sees it (after dropout when training uses it). */
export function hiddenOutput(a: Arena, l: number): number {
  return a.config.dropout > 0 && a.config.training ? a.at(`hd${l}`) : a.at(`h${l}`);
}

// x[(b·bags + j) × dim] = Σ weight · E[item]: one CSR row per (history, bag), so the bags of a
// history land side by side in its row of x.
function bagSums(a: Arena, B: number): void {
  if (a.config.input.kind !== "bags") return;
  const { bags, dim } = a.config.input;
  const args = {
    out: a.at("x"),
    offsets: a.at("offsets"),
    indices: a.at("indices"),
    values: a.at("values"),
    weight: a.at("p:E"),
    bias: 0,
    B: B * bags,
    OUT: dim,
  };
  elementwise(a, "sparseBagForward", args, { work: a.current.nnz * dim, chunk: 8 * bags });
}

type Tensors = { out: number; inp: number; weight: number; bias: number };
type Shape = { B: number; IN: number; OUT: number; first: boolean };

function dense(a: Arena, t: Tensors, s: Shape): void {
  const shape = { B: s.B, IN: s.IN, OUT: s.OUT };
  if (s.B === 1 && s.IN <= MAX_VEC_IN) {
    a.kernel.run("denseForwardVec", { ...t, IN: s.IN, OUT: s.OUT });
  } else {
    product(a, "denseForward", { ...t, ...shape }, s.B * s.IN * s.OUT);
  }
}

// gemm's init modes (wasm/assembly/gemm.ts).
const INIT_ACC = 1;
const INIT_BIAS = 2;

// A block-diagonal layer of G groups: group g's outputs (columns g·OUT/G…) see only its own
// inputs. Inputs of the first bag layer are bag-major (bag j, then group, then dim), so a group
// reads one dim-wide slice per bag and accumulates over the bags.
function groupedDense(a: Arena, t: Tensors, s: Shape): void {
  const c = a.config;
  const G = c.groups;
  const [og, slices] = [s.OUT / G, s.first ? (c.input as { bags: number }).bags : 1];
  const ig = s.IN / G / slices;
  if (s.B === 1 && !c.training && slices * ig <= Math.min(MAX_VEC_IN, a.length("probs"))) {
    groupedVec(a, t, { G, og, slices, ig });
    return;
  }
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < slices; j++) {
      a.kernel.run("gemm", {
        c: t.out + 4 * g * og,
        ldc: s.OUT,
        a: t.inp + 4 * (j * G * ig + g * ig),
        sAi: s.IN,
        sAp: 1,
        b: t.weight + 4 * (g * slices * ig * og + j * ig * og),
        sBk: og,
        sBn: 1,
        M: s.B,
        K: ig,
        n0: 0,
        n1: og,
        init: j === 0 ? INIT_BIAS : INIT_ACC,
        bias: t.bias + 4 * g * og,
      });
    }
  }
}

// One history (an idle server's request): each group's inputs gathered side by side into scratch
// (probs, free in inference) and one denseForwardVec per group, instead of gemm's 4-row tile
// computing the same row four times. Group g's weights are one (slices·ig) × og block, and the
// sums run over k in the same order with the same fused multiply-adds, so the scores are the same.
function groupedVec(
  a: Arena,
  t: Tensors,
  d: { G: number; og: number; slices: number; ig: number },
): void {
  const { G, og, slices, ig } = d;
  const IN = slices * ig;
  const inp = a.kernel.f32(t.inp, G * IN);
  const gathered = a.f32("probs", IN);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < slices; j++) {
      gathered.set(inp.subarray(j * G * ig + g * ig, j * G * ig + (g + 1) * ig), j * ig);
    }
    a.kernel.run("denseForwardVec", {
      out: t.out + 4 * g * og,
      inp: a.at("probs"),
      weight: t.weight + 4 * g * IN * og,
      bias: t.bias + 4 * g * og,
      IN,
      OUT: og,
    });
  }
}

// BN (train: batch statistics; infer: running statistics) → ReLU → dropout for hidden layer l;
// returns the next layer's input.
function hiddenForward(
  a: Arena,
  s: { l: number; mode: Mode; B: number; F: number },
): number {
  const { l, mode, B, F } = s;
  const c = a.config;
  const [z, h] = [a.at(`z${l}`), a.at(`h${l}`)];
  if (c.batchNorm && mode === "train") {
    const args = {
      out: h,
      xhat: a.at(`xhat${l}`),
      mean: a.at(`mean${l}`),
      invStd: a.at(`invStd${l}`),
      runMean: a.at(`runMean${l}`),
      runVar: a.at(`runVar${l}`),
      inp: z,
      gamma: a.at(`p:gamma${l}`),
      beta: a.at(`p:beta${l}`),
      B,
      F,
      momentum: c.bnMomentum,
      eps: c.bnEps,
    };
    elementwise(a, "batchNormForwardTrain", args, { work: B * F, chunk: 32 });
  } else if (c.batchNorm) {
    a.kernel.run("batchNormForwardInfer", {
      out: h,
      inp: z,
      gamma: a.at(`p:gamma${l}`),
      beta: a.at(`p:beta${l}`),
      runMean: a.at(`runMean${l}`),
      runVar: a.at(`runVar${l}`),
      B,
      F,
      eps: c.bnEps,
    });
  }
  a.kernel.run("reluForward", { out: h, inp: c.batchNorm ? h : z, n: B * F });
  if (mode !== "train" || c.dropout === 0) return h;
  // A fresh, seed-determined mask per draw: (seed, draw number) → 32-bit dropout seed.
  const draw = ++a.current.dropoutDraws;
  const seed = (Math.imul(c.seed, 0x2545f491) + Math.imul(draw, 0x9e3779b9)) >>> 0;
  const out = a.at(`hd${l}`);
  a.kernel.run("dropoutForward", {
    out,
    mask: a.at(`mask${l}`),
    inp: h,
    n: B * F,
    p: c.dropout,
    seed,
  });
  return out;
}

// Sampled softmax: gather the candidates' rows of the output table, score only them.
function candidateHead(a: Arena, inp: number, o: CandidateOptions): number {
  const c = a.config;
  const B = a.current.rows;
  const C = o.candidates.length;
  const [K, V] = [outputWidth(c), c.output];
  if (C < 1 || C > c.maxCandidates) {
    throw internal(`got ${C} candidates: expected 1..${c.maxCandidates} (config.maxCandidates)`);
  }
  for (const col of o.candidates) {
    if (!(col >= 0 && col < V)) throw internal(`candidate ${col} is outside 0..${V - 1}`);
  }
  for (const label of a.i32("labels", B)) {
    if (label >= C) throw internal(`label ${label} does not index the ${C} candidates`);
  }
  a.i32("cand", C).set(o.candidates);
  if (o.correction) {
    if (o.correction.length !== C) {
      throw internal(`correction has ${o.correction.length} values for ${C} candidates`);
    }
    a.f32("corr", C).set(o.correction);
  }
  const k = a.kernel;
  const cand = a.at("cand");
  k.run("gatherRows", {
    out: a.at("Oc"),
    src: a.at(`p:${outputTable(c)}`),
    rows: cand,
    R: C,
    L: K,
  });
  k.run("gatherColumns", { out: a.at("bc"), src: a.at("p:bo"), cols: cand, K: 1, N: V, C });
  const clogits = a.at("clogits");
  const args = {
    out: clogits,
    inp,
    weightRows: a.at("Oc"),
    bias: a.at("bc"),
    B,
    IN: K,
    OUT: C,
  };
  product(a, "denseForwardRows", args, B * K * C);
  if (o.mask?.length) {
    // Far below any logit: the softmax's exp clamps it to 0 within float precision.
    const logits = a.kernel.f32(clogits, B * C);
    for (const at of o.mask) {
      if (!(at >= 0 && at < B * C)) throw internal(`mask entry ${at} is outside 0..${B * C - 1}`);
      logits[at] = -1e30;
    }
  }
  a.current.candidates = C;
  return softmax(a, { logits: clogits, B, C, corr: o.correction ? a.at("corr") : 0 });
}

function softmax(a: Arena, s: { logits: number; B: number; C: number; corr: number }): number {
  const args = { probs: a.at("probs"), labels: a.at("labels"), ...s };
  const chunk = Math.max(1, Math.ceil(16384 / s.C));
  return elementwise(a, "softmaxCrossEntropyForward", args, { work: s.B * s.C, chunk });
}
