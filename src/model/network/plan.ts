/** The arena plan a network config implies: every parameter, activation and scratch tensor by name. */
import { inputWidth, outputWidth, type ResolvedConfig } from "./config.ts";
import { type Layout, type ParamSpec, planLayout, type TensorKind } from "./layout.ts";

/** Largest k the top-k helper returns. */
export const TOPK_MAX = 4096;
/** Largest k of the batched top-k (every row of a batch at once). */
export const ROWS_K_MAX = 128;
/** Most candidates per row the int8 ranking rescores exactly (see wasm/assembly/quantized.ts). */
export const Q8_CAND_MAX = 512;

/** Name of the output table: the embedding itself when tied. */
export function outputTable(c: ResolvedConfig): "E" | "O" {
  return c.tied ? "E" : "O";
}

/**
 * Tensor names: parameters `E` (bag embedding), `W{l}`/`b{l}`/`gamma{l}`/`beta{l}` (hidden layers),
 * `Wp`/`bp` (projection), `O`/`bo` (output table and bias), each with `p:`/`g:`/`m:`/`v:` slots;
 * BatchNorm statistics `runMean{l}`/`runVar{l}`; activations and scratch under plain names.
 */
export function planNet(c: ResolvedConfig): Layout {
  const B = c.batchSize;
  const V = c.output;
  const K = outputWidth(c);
  const X = inputWidth(c);
  const params: ParamSpec[] = [];
  const others: { name: string; length: number; kind?: TensorKind }[] = [];
  const C = c.training ? c.maxCandidates : 0;
  // Grouped layers store G blocks of (in/G × out/G) weights, block g after block g − 1.
  const G = c.groups;
  const add = (name: string, length: number, kind?: TensorKind) =>
    others.push({ name, length, kind });

  if (c.input.kind === "bags") {
    const rows = B * c.input.bags;
    params.push({ name: "E", length: V * c.input.dim, group: "table" });
    add("offsets", rows + 1, "i32");
    // Training appends the candidates after the bag entries to list every touched row at once.
    add("indices", c.maxNnz + C, "i32");
    add("values", c.maxNnz);
    if (c.training) {
      add("rows", c.maxNnz + C, "i32");
      add("flags", V, "u8");
    }
  }
  add("x", B * X);
  let width = X;
  c.hidden.forEach((F, l) => {
    params.push({ name: `W${l}`, length: (width * F) / G, group: "decay" });
    params.push({ name: `b${l}`, length: F, group: "plain" });
    if (c.batchNorm) {
      params.push({ name: `gamma${l}`, length: F, group: "plain" });
      params.push({ name: `beta${l}`, length: F, group: "plain" });
      add(`runMean${l}`, F);
      add(`runVar${l}`, F);
      if (c.training) add(`xhat${l}`, B * F), add(`mean${l}`, F), add(`invStd${l}`, F);
    }
    add(`z${l}`, B * F);
    add(`h${l}`, B * F);
    if (c.dropout > 0 && c.training) add(`mask${l}`, B * F), add(`hd${l}`, B * F);
    width = F;
  });
  if (c.projection) {
    params.push({ name: "Wp", length: (width * K) / G, group: "decay" });
    params.push({ name: "bp", length: K, group: "plain" });
    add("u", B * K);
  }
  if (!c.tied) params.push({ name: "O", length: V * K, group: "rows" });
  params.push({ name: "bo", length: V, group: "plain" });
  add("labels", B, "i32");
  add("logits", B * V);
  add("probs", B * Math.max(V, C));
  add("topIdx", TOPK_MAX, "i32");
  add("topScore", TOPK_MAX);
  if (!c.training) {
    // Batched top-k of an inference batch: per-row exclusions (CSR) and allow masks.
    add("rowsIdx", B * ROWS_K_MAX, "i32");
    add("rowsScore", B * ROWS_K_MAX);
    add("rowsCount", B, "i32");
    add("exOffsets", B + 1, "i32");
    add("exclude", c.maxNnz, "i32");
    add("allow", B * V, "u8");
    // The int8 copy of the output table and its per-row scratch (scoreTopQ8).
    const [Kp, Vp] = [(K + 3) & ~3, (V + 7) & ~7];
    add("q8table", Vp * Kp, "u8");
    add("q8meta", 4 * Vp);
    add("q8rows", B * (Kp + 16), "u8");
    add("q8cand", B * 2 * Q8_CAND_MAX, "i32");
  }
  if (C > 0) {
    add("cand", C, "i32");
    add("corr", C);
    add("Oc", C * K);
    add("bc", C);
    add("gOc", C * K);
    add("gbc", C);
    add("clogits", B * C);
  }
  if (c.training) {
    const wide = Math.max(X, K, ...c.hidden);
    add("dA", B * wide);
    add("dB", B * wide);
  }
  return planLayout(params, others, { mirrors: c.training });
}
