/**
 * The optimizer pass: Adam (Kingma & Ba 2015) with decoupled weight decay (Loshchilov & Hutter
 * 2019). Row tables (the embedding, the output table) are updated lazily — only the rows this step
 * touched, as PyTorch's SparseAdam does — which is what keeps a step's cost independent of the
 * catalogue size; their touched gradient rows are cleared afterwards so the scatter-accumulated
 * gradients stay zero elsewhere.
 */
import type { Arena } from "./arena.ts";
import { outputWidth } from "./config.ts";
import { elementwise } from "./dispatch.ts";

/** One Adam update from the gradients of the last backward. */
export function adamPass(a: Arena): void {
  const c = a.config;
  const t = ++a.steps;
  const { lr, beta1, beta2, eps, weightDecay } = c.adam;
  const hyper = { lr, beta1, beta2, eps, step: t };
  const { slab } = a.layout;
  const sampled = a.current.candidates > 0;
  const C = a.current.candidates;
  const k = a.kernel;

  const rowsStep = (table: string, rows: number, count: number, rowLen: number) => {
    const p = a.at(`p:${table}`);
    const args = {
      param: p,
      grad: p + slab.grad,
      m: p + slab.m,
      v: p + slab.v,
      rows,
      count,
      rowLen,
      ...hyper,
      weightDecay: 0,
      zeroGrad: 1,
    };
    elementwise(a, "adamStepRows", args, {
      work: count * rowLen,
      chunk: Math.max(16, Math.ceil(16384 / rowLen)),
    });
  };
  const denseStep = (offset: number, n: number, wd: number) => {
    const args = {
      param: offset,
      grad: offset + slab.grad,
      m: offset + slab.m,
      v: offset + slab.v,
      n,
      ...hyper,
      weightDecay: wd,
    };
    elementwise(a, "adamStep", args, { work: n, chunk: 32768 });
  };

  if (c.input.kind === "bags") {
    const { dim } = c.input;
    if (c.tied && !sampled) {
      // A full softmax touched every row of the tied table.
      denseStep(a.at("p:E"), a.length("p:E"), 0);
      k.run("fill", { dst: a.at("g:E"), value: 0, n: a.length("p:E") });
    } else {
      // Rows touched: the bag entries, plus the candidates when the table is also the output.
      let n = a.current.nnz;
      if (c.tied) {
        a.i32("indices", n + C).set(a.i32("cand", C), n);
        n += C;
      }
      const rows = a.at("rows");
      const count = k.run("uniqueRows", {
        rows,
        flags: a.at("flags"),
        indices: a.at("indices"),
        nnz: n,
      });
      rowsStep("E", rows, count, dim);
    }
  }
  if (!c.tied) {
    if (sampled) rowsStep("O", a.at("cand"), C, outputWidth(c));
    else {
      denseStep(a.at("p:O"), a.length("p:O"), 0);
      k.run("fill", { dst: a.at("g:O"), value: 0, n: a.length("p:O") });
    }
  }
  const { groups } = a.layout;
  denseStep(a.base + groups.decay.offset, groups.decay.length, weightDecay);
  denseStep(a.base + groups.plain.offset, groups.plain.length, 0);
}
