/** The Mlp's configuration: validation, defaults, and the arena plan it implies. */
import { invalid } from "../errors.ts";
import { type Layout, type ParamSpec, planLayout, type TensorKind } from "./layout.ts";

/** Adam hyperparameters (decoupled weight decay applies to weight matrices only). */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** What an Mlp is built from. Layers: input → hidden… → output, BatchNorm + ReLU on hidden layers. */
export interface MlpConfig {
  /** Input width: dense features, or rows of the sparse input table (the vocabulary). */
  input: number;
  /** Use the CSR weighted-bag input layer (out = bias + Σ value·W[index,:]) with lazy Adam on W0. */
  sparseInput?: boolean;
  hidden: number[];
  output: number;
  /** BatchNorm before each hidden ReLU (default true). */
  batchNorm?: boolean;
  /** Inverted-dropout probability on hidden activations in training (default 0). */
  dropout?: number;
  /** Largest batch the arena holds (forward/backward take any batch ≤ this). */
  batchSize: number;
  /** Sparse input: most non-zeros in one batch (default 64 · batchSize). */
  maxNnz?: number;
  /** Largest candidate subset for sampled softmax (default 0: full softmax only). */
  maxCandidates?: number;
  /** Seed for weight init, dropout and the training shuffle (default 1). */
  seed?: number;
  bnMomentum?: number;
  bnEps?: number;
  adam?: Partial<AdamConfig>;
  /** Products with fewer multiply-adds than this stay on one thread (default 2^18). */
  parallelMin?: number;
  /** False for an inference-only model: no gradient, Adam or backward buffers (default true). */
  training?: boolean;
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<Omit<MlpConfig, "adam">> & { adam: AdamConfig };

/** Fills defaults and checks every size, naming the bad value. */
export function resolveConfig(c: MlpConfig): ResolvedConfig {
  const positive = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw invalid(`mlp ${name} must be a positive integer, got ${v}`);
    }
  };
  positive("input", c.input);
  positive("output", c.output);
  positive("batchSize", c.batchSize);
  if (!Array.isArray(c.hidden)) {
    throw invalid(`mlp hidden must be an array of sizes, got ${c.hidden}`);
  }
  c.hidden.forEach((h, i) => positive(`hidden[${i}]`, h));
  const dropout = c.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) {
    throw invalid(`mlp dropout must be in [0, 1), got ${dropout}`);
  }
  const r: ResolvedConfig = {
    input: c.input,
    sparseInput: c.sparseInput ?? false,
    hidden: [...c.hidden],
    output: c.output,
    batchNorm: c.batchNorm ?? true,
    dropout,
    batchSize: c.batchSize,
    maxNnz: c.maxNnz ?? 64 * c.batchSize,
    maxCandidates: c.maxCandidates ?? 0,
    seed: c.seed ?? 1,
    bnMomentum: c.bnMomentum ?? 0.1,
    bnEps: c.bnEps ?? 1e-5,
    adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...c.adam },
    parallelMin: c.parallelMin ?? 1 << 18,
    training: c.training ?? true,
  };
  if (r.sparseInput) positive("maxNnz", r.maxNnz);
  return r;
}

/** Layer widths: [input, ...hidden, output]. */
export function dims(c: ResolvedConfig): number[] {
  return [c.input, ...c.hidden, c.output];
}

/** The arena plan for a resolved config (names used by Mlp and the checkpoint). */
export function planMlp(c: ResolvedConfig): Layout {
  const d = dims(c);
  const L = d.length - 1;
  const B = c.batchSize;
  const params: ParamSpec[] = [];
  const others: { name: string; length: number; kind?: TensorKind }[] = [];
  const wide = Math.max(...d.slice(1));
  for (let l = 0; l < L; l++) {
    const [IN, OUT] = [d[l], d[l + 1]];
    params.push({
      name: `W${l}`,
      length: IN * OUT,
      group: l === 0 && c.sparseInput ? "table" : "decay",
    });
    params.push({ name: `b${l}`, length: OUT, group: "plain" });
    if (l === L - 1) continue;
    if (c.batchNorm) {
      params.push({ name: `gamma${l}`, length: OUT, group: "plain" }, {
        name: `beta${l}`,
        length: OUT,
        group: "plain",
      });
      others.push({ name: `runMean${l}`, length: OUT }, { name: `runVar${l}`, length: OUT });
      if (c.training) {
        others.push(
          { name: `xhat${l}`, length: B * OUT },
          { name: `mean${l}`, length: OUT },
          { name: `invStd${l}`, length: OUT },
        );
      }
    }
    others.push({ name: `z${l}`, length: B * OUT }, { name: `h${l}`, length: B * OUT });
    if (c.dropout > 0 && c.training) {
      others.push({ name: `mask${l}`, length: B * OUT }, { name: `hd${l}`, length: B * OUT });
    }
  }
  if (c.sparseInput) {
    others.push(
      { name: "offsets", length: B + 1, kind: "i32" },
      { name: "indices", length: c.maxNnz, kind: "i32" },
      { name: "values", length: c.maxNnz },
      { name: "rows", length: c.maxNnz, kind: "i32" },
      { name: "flags", length: c.input, kind: "u8" },
    );
  } else {
    others.push({ name: "x", length: B * c.input });
  }
  const K = d[L - 1];
  const C = c.training ? c.maxCandidates : 0;
  if (C > 0) {
    others.push(
      { name: "cand", length: C, kind: "i32" },
      { name: "corr", length: C },
      { name: "Wc", length: K * C },
      { name: "bc", length: C },
      { name: "gWc", length: K * C },
      { name: "gbc", length: C },
      { name: "clogits", length: B * C },
    );
  }
  others.push(
    { name: "labels", length: B, kind: "i32" },
    { name: "logits", length: B * c.output },
    { name: "probs", length: B * Math.max(c.output, C) },
    { name: "topIdx", length: TOPK_MAX, kind: "i32" },
    { name: "topScore", length: TOPK_MAX },
  );
  if (c.training) {
    // xT holds a layer input transposed for the weight gradient of a wide (≥ 1024) output layer.
    const inputs = c.sparseInput ? d.slice(1, L) : d.slice(0, L);
    others.push(
      { name: "dA", length: B * wide },
      { name: "dB", length: B * wide },
      { name: "xT", length: B * Math.max(1, ...inputs) },
    );
  }
  return planLayout(params, others, { mirrors: c.training });
}

/** Largest k the top-k helper returns. */
export const TOPK_MAX = 4096;
