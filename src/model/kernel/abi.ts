/**
 * The kernel's ABI in one table: every export of wasm/build/kernel.wasm with its parameters in
 * order. Callers pass arguments by name ({@link ArgsOf}), so a swapped or missing argument does not
 * compile; {@link checkAbi} proves at load time that the module matches the table.
 *
 * Pointers are byte offsets into the shared memory, sizes are element counts; shapes are in the
 * comments of wasm/assembly/*.ts. An op with a `range` takes two more parameters last: the half-open
 * slice [lo, hi) of the dimension named by `over` that this call computes, which is how threads
 * split it.
 */
import { internal } from "../../errors.ts";

/** One export: its named parameters and, for splittable ops, the dimension its range covers. */
export interface OpSignature {
  readonly args: readonly string[];
  /** The parameter whose value is the full range [0, value) (a range op when set). */
  readonly over?: string;
}

/** Every kernel export by name. */
export const ABI = {
  // activation.ts
  reluForward: { args: ["out", "inp", "n"] },
  reluBackward: { args: ["dInp", "dOut", "out", "n"] },
  dropoutForward: { args: ["out", "mask", "inp", "n", "p", "seed"] },
  dropoutBackward: { args: ["dInp", "dOut", "mask", "n"] },
  // adam.ts
  adamStep: {
    args: ["param", "grad", "m", "v", "n", "lr", "beta1", "beta2", "eps", "weightDecay", "step"],
    over: "n",
  },
  adamStepRows: {
    args: [
      "param",
      "grad",
      "m",
      "v",
      "rows",
      "count",
      "rowLen",
      "lr",
      "beta1",
      "beta2",
      "eps",
      "weightDecay",
      "step",
      "zeroGrad",
    ],
    over: "count",
  },
  // batchnorm.ts
  batchNormForwardTrain: {
    args: [
      "out",
      "xhat",
      "mean",
      "invStd",
      "runMean",
      "runVar",
      "inp",
      "gamma",
      "beta",
      "B",
      "F",
      "momentum",
      "eps",
    ],
    over: "F",
  },
  batchNormForwardInfer: {
    args: ["out", "inp", "gamma", "beta", "runMean", "runVar", "B", "F", "eps"],
  },
  batchNormBackward: {
    args: ["dInp", "dGamma", "dBeta", "dOut", "xhat", "invStd", "gamma", "B", "F"],
    over: "F",
  },
  // dense.ts
  denseForward: { args: ["out", "inp", "weight", "bias", "B", "IN", "OUT"], over: "OUT" },
  denseBackwardInput: { args: ["dInp", "dOut", "weight", "B", "IN", "OUT"], over: "IN" },
  denseBackwardWeight: {
    args: ["dWeight", "dBias", "inp", "dOut", "B", "IN", "OUT", "accumulate"],
    over: "OUT",
  },
  denseBackwardWeightT: {
    args: ["dWeight", "dBias", "inpT", "dOut", "B", "IN", "OUT", "accumulate"],
    over: "OUT",
  },
  denseBackward: { args: ["dInp", "dWeight", "dBias", "inp", "dOut", "weight", "B", "IN", "OUT"] },
  denseForwardVec: { args: ["out", "inp", "weight", "bias", "IN", "OUT"], over: "OUT" },
  denseForwardRows: { args: ["out", "inp", "weightRows", "bias", "B", "IN", "OUT"], over: "OUT" },
  denseBackwardBias: { args: ["dBias", "dOut", "B", "OUT"], over: "OUT" },
  // gather.ts
  gatherColumns: { args: ["out", "src", "cols", "K", "N", "C"] },
  scatterAddColumns: { args: ["dst", "src", "cols", "K", "N", "C"] },
  gatherRows: { args: ["out", "src", "rows", "R", "L"] },
  scatterAddRows: { args: ["dst", "src", "rows", "R", "L"] },
  fill: { args: ["dst", "value", "n"] },
  transpose: { args: ["out", "inp", "R", "C"] },
  // gemm.ts (its column range n0..n1 sits mid-list, so it is passed by name like the rest)
  gemm: {
    args: ["c", "ldc", "a", "sAi", "sAp", "b", "sBk", "sBn", "M", "K", "n0", "n1", "init", "bias"],
  },
  // linalg.ts
  gramBinary: {
    args: [
      "out",
      "outerOffsets",
      "outerIdx",
      "innerOffsets",
      "innerIdx",
      "N",
      "base",
      "shift",
      "rows",
    ],
    over: "rows",
  },
  choleskyBlock: { args: ["a", "lda", "j0", "jb", "n"] },
  lowerInverse: { args: ["w", "a", "lda", "j0", "jb", "scale", "transposed"] },
  scaleCopy: { args: ["dst", "ldd", "src", "lds", "cols", "scale", "rows"], over: "rows" },
  gemmRows: {
    args: ["c", "ldc", "a", "sAi", "sAp", "b", "sBk", "sBn", "M", "K", "N", "init"],
    over: "M",
  },
  gemmCols: {
    args: ["c", "ldc", "a", "sAi", "sAp", "b", "sBk", "sBn", "M", "K", "N", "init"],
    over: "N",
  },
  syrkLower: { args: ["c", "ldc", "a", "sa", "b", "sb", "K", "N", "init"], over: "N" },
  trmmLower: { args: ["c", "ldc", "t", "ldt", "x", "ldx", "cols", "rows"], over: "rows" },
  easeScales: { args: ["scales", "a", "lda", "n", "alpha", "beta"] },
  easeWeights: { args: ["a", "lda", "scales", "n", "tiles"], over: "tiles" },
  // neighbours.ts
  cosineTopK: {
    args: ["outIdx", "outSim", "gram", "counts", "n", "k", "base", "rows"],
    over: "rows",
  },
  sparseRowsForward: {
    args: ["out", "offsets", "indices", "rowOffsets", "rowCols", "rowVals", "N", "B"],
    over: "B",
  },
  // peak.ts
  peakFma: { args: ["iters"], over: "repeats" },
  // softmax.ts
  softmaxCrossEntropyForward: { args: ["probs", "logits", "labels", "corr", "B", "C"], over: "B" },
  softmaxCrossEntropyBackward: { args: ["dLogits", "probs", "labels", "B", "C"], over: "B" },
  // sparse.ts
  sparseBagForward: {
    args: ["out", "offsets", "indices", "values", "weight", "bias", "B", "OUT"],
    over: "B",
  },
  sparseBagBackward: {
    args: ["dWeight", "dBias", "dOut", "offsets", "indices", "values", "B", "OUT"],
    over: "OUT",
  },
  uniqueRows: { args: ["rows", "flags", "indices", "nnz"] },
  // thread.ts
  setScratch: { args: ["ptr"] },
  scratchBytes: { args: [] },
  heapBase: { args: [] },
  // topk.ts
  topK: { args: ["outIdx", "outScore", "scores", "n", "k"] },
  topKRows: {
    args: ["outIdx", "outScore", "counts", "scores", "exclude", "exOffsets", "allow", "N", "k"],
    over: "B",
  },
  // quantized.ts
  q8Width: { args: ["K"] },
  q8Items: { args: ["V"] },
  quantizeTableQ8: { args: ["packed", "meta", "table", "bias", "V", "K"] },
  scoreTopQ8: {
    args: [
      "outIdx",
      "outScore",
      "counts",
      "u",
      "packed",
      "meta",
      "table",
      "scores",
      "cand",
      "qrows",
      "exclude",
      "exOffsets",
      "allow",
      "addend",
      "V",
      "K",
      "k",
      "C",
    ],
    over: "B",
  },
} as const satisfies Record<string, OpSignature>;

/** A kernel export's name. */
export type OpName = keyof typeof ABI;

/** Names of the ops that take a [lo, hi) range last (splittable over threads). */
export type RangeOp = {
  [N in OpName]: (typeof ABI)[N] extends { over: string } ? N : never;
}[OpName];

type Over<N extends OpName> = (typeof ABI)[N] extends { over: infer O extends string } ? O : never;

/**
 * The named arguments of op `N`. For a range op whose `over` is not itself a parameter (peakFma's
 * repeats) the full range's size is asked for too.
 */
export type ArgsOf<N extends OpName> =
  & { readonly [K in (typeof ABI)[N]["args"][number]]: number }
  & { readonly [K in Over<N>]: number };

/** Positional arguments of `name` in ABI order (without the range). */
export function positional<N extends OpName>(name: N, args: ArgsOf<N>): number[] {
  const names = ABI[name].args as readonly string[];
  const out = new Array<number>(names.length);
  const a = args as unknown as Record<string, number>;
  for (let i = 0; i < names.length; i++) out[i] = a[names[i]];
  return out;
}

/** The size of the full range of a range op's call. */
export function rangeOf<N extends RangeOp>(name: N, args: ArgsOf<N>): number {
  return (args as unknown as Record<string, number>)[(ABI[name] as OpSignature).over!];
}

/**
 * Checks that `exports` are exactly the table's ops with the table's parameter counts (a range op
 * has two more). Throws INTERNAL naming the first difference: a kernel built from other sources.
 */
export function checkAbi(exports: Record<string, unknown>): void {
  const fns = Object.entries(exports).filter(([, v]) => typeof v === "function");
  for (const [name, fn] of fns) {
    const sig = (ABI as Record<string, OpSignature>)[name];
    if (!sig) throw internal(`kernel export ${name} is not in src/model/kernel/abi.ts`);
    const want = sig.args.length + (sig.over ? 2 : 0);
    const have = (fn as (...a: number[]) => number).length;
    if (have !== want) {
      throw internal(
        `kernel export ${name} takes ${have} parameters, abi.ts lists ${want}: rebuild with \`deno task build --force\` or fix the table`,
      );
    }
  }
  const exported = new Set(fns.map(([n]) => n));
  for (const name of Object.keys(ABI)) {
    if (!exported.has(name)) throw internal(`kernel has no export ${name} listed in abi.ts`);
  }
}
