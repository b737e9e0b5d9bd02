/** The network's configuration: shapes, validation and defaults (the arena plan is in plan.ts). */
import { invalid } from "../../errors.ts";

/** Adam hyperparameters (decoupled weight decay applies to weight matrices only). */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * Where the first hidden layer's input comes from: a dense feature vector, or history bags over
 * one shared item embedding — each bag a weighted sum of rows of E (items × dim), the bags laid
 * side by side (bags · dim wide), so the first dense layer is a per-bag projection.
 */
export type InputConfig =
  | { kind: "dense"; width: number }
  | { kind: "bags"; bags: number; dim: number };

/**
 * A next-item network: input → (dense + BatchNorm + ReLU [+ dropout]) × hidden → [linear
 * projection] → logits = u · Oᵀ + b over `output` classes. The output table O (output × K, one
 * row per class) is its own tensor, or the bag embedding E itself when `tied`.
 */
export interface NetConfig {
  input: InputConfig;
  hidden: number[];
  /** Width of a linear layer between the last hidden layer and the output (0: none). */
  projection?: number;
  /** Output classes (movies). With bags input, also the embedding's rows. */
  output: number;
  /** The output table is the input embedding (needs bags input and K = dim). */
  tied?: boolean;
  /**
   * Independent sub-networks side by side (a folded ensemble, inference only): the embedding,
   * every hidden layer and the projection split into `groups` equal column blocks, and each block
   * only sees its own block of the layer before — block-diagonal products without the zeros.
   * Widths given here are totals (default 1).
   */
  groups?: number;
  /** BatchNorm before each hidden ReLU (default true). */
  batchNorm?: boolean;
  /** Inverted-dropout probability on hidden activations in training (default 0). */
  dropout?: number;
  /** Largest batch (histories) the arena holds; forward/backward take any batch ≤ this. */
  batchSize: number;
  /** Bags input: most non-zeros in one batch (default 64 · bags · batchSize). */
  maxNnz?: number;
  /** Largest candidate subset for a sampled softmax (default 0: full softmax only). */
  maxCandidates?: number;
  /** Seed for weight init and dropout (default 1). */
  seed?: number;
  bnMomentum?: number;
  bnEps?: number;
  adam?: Partial<AdamConfig>;
  /** Products with fewer multiply-adds than this stay on one thread (default 2^18). */
  parallelMin?: number;
  /** False for an inference-only network: no gradient, Adam or backward buffers (default true). */
  training?: boolean;
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<Omit<NetConfig, "adam">> & { adam: AdamConfig };

/** Fills defaults and checks every size, naming the bad value. */
export function resolveConfig(c: NetConfig): ResolvedConfig {
  const positive = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw invalid(`network ${name} must be a positive integer, got ${v}`);
    }
  };
  if (c.input?.kind === "dense") positive("input.width", c.input.width);
  else if (c.input?.kind === "bags") {
    positive("input.bags", c.input.bags);
    positive("input.dim", c.input.dim);
  } else {
    throw invalid(`network input must be {kind:"dense",width} or {kind:"bags",bags,dim}`);
  }
  positive("output", c.output);
  positive("batchSize", c.batchSize);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0) {
    throw invalid(`network hidden must be a non-empty array of sizes, got ${c.hidden}`);
  }
  c.hidden.forEach((h, i) => positive(`hidden[${i}]`, h));
  const projection = c.projection ?? 0;
  if (projection !== 0) positive("projection", projection);
  const dropout = c.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) {
    throw invalid(`network dropout must be in [0, 1), got ${dropout}`);
  }
  const bags = c.input.kind === "bags" ? c.input.bags : 1;
  const r: ResolvedConfig = {
    input: { ...c.input },
    hidden: [...c.hidden],
    projection,
    output: c.output,
    tied: c.tied ?? false,
    groups: c.groups ?? 1,
    batchNorm: c.batchNorm ?? true,
    dropout,
    batchSize: c.batchSize,
    maxNnz: c.maxNnz ?? 64 * bags * c.batchSize,
    maxCandidates: c.maxCandidates ?? 0,
    seed: c.seed ?? 1,
    bnMomentum: c.bnMomentum ?? 0.1,
    bnEps: c.bnEps ?? 1e-5,
    adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...c.adam },
    parallelMin: c.parallelMin ?? 1 << 18,
    training: c.training ?? true,
  };
  if (r.tied) {
    if (r.input.kind !== "bags") throw invalid("a tied output table needs bags input");
    if (outputWidth(r) !== r.input.dim) {
      throw invalid(
        `a tied output needs the layer before it (${
          outputWidth(r)
        } wide) to match the embedding dim ${r.input.dim}`,
      );
    }
  }
  if (r.input.kind === "bags") positive("maxNnz", r.maxNnz);
  positive("groups", r.groups);
  if (r.groups > 1) {
    const G = r.groups;
    const widths = [r.input.kind === "bags" ? r.input.dim : 0, ...r.hidden, r.projection];
    if (r.input.kind !== "bags" || r.training || widths.some((w) => w % G !== 0)) {
      throw invalid(
        `a network of ${G} groups must be inference-only with bags input and widths divisible by ${G}, got dim/hidden/projection ${widths}`,
      );
    }
  }
  return r;
}

/** Width of the first hidden layer's input. */
export function inputWidth(c: ResolvedConfig): number {
  return c.input.kind === "dense" ? c.input.width : c.input.bags * c.input.dim;
}

/** K: width of the vector the output table is multiplied with (projection, or last hidden). */
export function outputWidth(c: Pick<ResolvedConfig, "projection" | "hidden">): number {
  return c.projection || c.hidden[c.hidden.length - 1];
}

/**
 * Multiply-adds of one inference forward for a history with `nnz` bag entries: the bag sums,
 * every dense layer and the full output layer. Twice this is the FLOP count.
 */
export function inferenceMacs(c: ResolvedConfig, nnz: number): number {
  let macs = c.input.kind === "bags" ? nnz * c.input.dim : 0;
  let width = inputWidth(c);
  // A grouped layer is G blocks of (width/G) × (h/G): 1/G of the full product.
  for (const h of c.hidden) {
    macs += (width * h) / c.groups;
    width = h;
  }
  if (c.projection) macs += (width * c.projection) / c.groups;
  return macs + outputWidth(c) * c.output;
}
