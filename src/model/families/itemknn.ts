/**
 * The ItemKNN family (Sarwar et al. 2001; Deshpande & Karypis 2004): cosine similarity over the
 * binary users × items train matrix; a candidate movie j is scored by the similarities of its own
 * k nearest movies that are in the history (score[j] = Σ_{h in history ∩ N_k(j)} sim(h, j)), k
 * chosen on validation NDCG@10. Stored as sparse weights W[h][j] = sim(h, j) for h ∈ N_k(j).
 */
import { ReelrankError } from "../../errors.ts";
import type { Split } from "../../features/split.ts";
import { Kernel } from "../kernel/kernel.ts";
import type { ItemTensor } from "./checkpoint.ts";
import { type BinaryCsr, csrToKernel, transposeCsr } from "./csr.ts";
import { trainCsr } from "./data.ts";
import { ItemItemModel, scoringBytes } from "./item_model.ts";
import { type FamilyFit, type FitOptions, searchGrid } from "./select.ts";

/** The k grid; 20 is the reference's choice on the bundled data. */
export const KNN_KS: readonly number[] = [10, 20, 50, 100, 200];

/** Sparse item-to-item weights by history movie: row h holds (j, W[h][j]) with j ascending. */
export interface KnnWeights {
  offsets: Int32Array;
  cols: Int32Array;
  vals: Float32Array;
}

/** ItemKNN's sparse weights in a kernel, scored by scattering the history's rows. */
export class KnnModel extends ItemItemModel {
  readonly family = "itemknn" as const;
  readonly #w: KnnWeights;
  readonly #at: { offsets: number; cols: number; vals: number };

  constructor(
    kernel: Kernel,
    weights: KnnWeights,
    manifest: { itemIds: ArrayLike<number>; params: { k: number }; info?: Record<string, unknown> },
  ) {
    super(kernel, manifest);
    this.#w = weights;
    const { offsets, indices } = csrToKernel(kernel, {
      rows: weights.offsets.length - 1,
      cols: this.itemIds.length,
      offsets: weights.offsets,
      indices: weights.cols,
    });
    const vals = kernel.alloc(4 * Math.max(1, weights.vals.length));
    kernel.f32(vals, weights.vals.length).set(weights.vals);
    this.#at = { offsets, cols: indices, vals };
  }

  protected scoreRows(offsets: number, indices: number, B: number, out: number): void {
    this.kernel.split("sparseRowsForward", {
      out,
      offsets,
      indices,
      rowOffsets: this.#at.offsets,
      rowCols: this.#at.cols,
      rowVals: this.#at.vals,
      N: this.size,
      B,
    }, { chunk: 8 });
  }

  weight(h: number, t: number): number {
    const { offsets, cols, vals } = this.#w;
    let lo = offsets[h], hi = offsets[h + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cols[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < offsets[h + 1] && cols[lo] === t ? vals[lo] : 0;
  }

  protected tensors(): ItemTensor[] {
    return [
      { name: "offsets", dtype: "i32", data: this.#w.offsets },
      { name: "cols", dtype: "i32", data: this.#w.cols },
      { name: "vals", dtype: "f32", data: this.#w.vals },
    ];
  }

  /** Zeroing a row, then one add per stored weight of each history movie (k on average). */
  flopPerHistory(length = 50): number {
    return this.size + length * (this.#w.cols.length / Math.max(1, this.size));
  }

  /** A model over `weights` in a kernel of its own. */
  static async create(
    weights: KnnWeights,
    manifest: { itemIds: ArrayLike<number>; params: { k: number }; info?: Record<string, unknown> },
    options: { threads?: number; module?: WebAssembly.Module } = {},
  ): Promise<KnnModel> {
    const n = manifest.itemIds.length;
    const bytes = scoringBytes(n) + 8 * weights.cols.length + 4 * n + (16 << 20);
    const kernel = await Kernel.create({
      threads: options.threads ?? 1,
      module: options.module,
      initialMiB: Math.ceil(bytes / 1048576),
    });
    try {
      return new KnnModel(kernel, weights, manifest).own(kernel);
    } catch (err) {
      kernel.close();
      throw err;
    }
  }
}

/**
 * The weights keeping each movie's `k` nearest of the `kmax` found per movie (sorted best first):
 * W[idx[j][q]][j] = sim[j][q] for q < k, zero similarities dropped.
 */
export function knnWeights(
  idx: Int32Array,
  sim: Float32Array,
  options: { n: number; kmax: number; k: number },
): KnnWeights {
  const { n, kmax, k } = options;
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    for (let q = 0; q < k; q++) if (sim[j * kmax + q] > 0) offsets[idx[j * kmax + q] + 1]++;
  }
  for (let h = 0; h < n; h++) offsets[h + 1] += offsets[h];
  const fill = offsets.slice(0, n);
  const cols = new Int32Array(offsets[n]), vals = new Float32Array(offsets[n]);
  for (let j = 0; j < n; j++) {
    for (let q = 0; q < k; q++) {
      const s = sim[j * kmax + q];
      if (!(s > 0)) continue;
      const at = fill[idx[j * kmax + q]]++;
      cols[at] = j;
      vals[at] = s;
    }
  }
  return { offsets, cols, vals };
}

/**
 * Every movie's `kmax` most similar movies (cosine over the train matrix), computed in blocks of
 * Gram rows so memory stays rows × items: `idx`/`sim` are items × kmax, best first.
 */
export function nearestItems(
  kernel: Kernel,
  x: BinaryCsr,
  kmax: number,
): { idx: Int32Array; sim: Float32Array; n: number } {
  const n = x.cols;
  const kx = csrToKernel(kernel, x), kxt = csrToKernel(kernel, transposeCsr(x));
  const counts = kernel.alloc(4 * n);
  const c = kernel.f32(counts, n);
  for (const i of x.indices) c[i]++;
  const outIdx = kernel.alloc(4 * n * kmax), outSim = kernel.alloc(4 * n * kmax);
  const rows = Math.max(16, Math.min(512, Math.floor((64 << 20) / (4 * n))));
  const block = kernel.alloc(4 * rows * n);
  for (let base = 0; base < n; base += rows) {
    const r = Math.min(rows, n - base);
    kernel.split("gramBinary", {
      out: block,
      outerOffsets: kxt.offsets,
      outerIdx: kxt.indices,
      innerOffsets: kx.offsets,
      innerIdx: kx.indices,
      N: n,
      base,
      shift: 0,
      rows: r,
    }, { chunk: 8 });
    kernel.split("cosineTopK", {
      outIdx,
      outSim,
      gram: block,
      counts,
      n,
      k: kmax,
      base,
      rows: r,
    }, { chunk: 8 });
  }
  return {
    idx: kernel.i32(outIdx, n * kmax).slice(),
    sim: kernel.f32(outSim, n * kmax).slice(),
    n,
  };
}

/** Kernel bytes of {@link nearestItems} for `n` items and `kmax` neighbours. */
export function nearestBytes(n: number, users: number, nnz: number, kmax: number): number {
  const rows = Math.max(16, Math.min(512, Math.floor((64 << 20) / (4 * n))));
  return 4 * rows * n + 8 * n * kmax + 4 * n + 16 * nnz + 4 * (n + users) + (16 << 20);
}

/**
 * Finds every movie's nearest movies once for the largest k, then evaluates each k of the grid
 * (a prefix of the same lists) on validation NDCG@10 and returns the best in a kernel of its own.
 */
export async function trainItemKnn(
  split: Split,
  options: FitOptions & { ks?: readonly number[] },
): Promise<FamilyFit<KnnModel>> {
  const started = performance.now();
  const n = split.universe.size;
  const ks = (options.ks ?? KNN_KS).map((k) => Math.min(k, n - 1));
  const kmax = Math.max(...ks);
  const x = trainCsr(split);
  const need = nearestBytes(n, x.rows, x.indices.length, kmax);
  if (need > options.memoryBytes) {
    throw new ReelrankError(
      "UNAVAILABLE",
      `ItemKNN skipped: ${n} items × ${kmax} neighbours need ${Math.ceil(need / 1048576)} MiB, ` +
        `over the ${
          Math.ceil(options.memoryBytes / 1048576)
        } MiB limit (REELRANK_FAMILY_MEMORY_MIB)`,
      { permanent: true },
    );
  }
  const fitKernel = await Kernel.create({ threads: options.threads ?? 1 });
  let nearest;
  try {
    nearest = nearestItems(fitKernel, x, kmax);
  } finally {
    fitKernel.close();
  }
  const itemIds = split.universe.ids;
  const build = (k: number) =>
    KnnModel.create(knnWeights(nearest.idx, nearest.sim, { n, kmax, k }), {
      itemIds,
      params: { k },
    }, { threads: options.threads });
  let last: KnnModel | undefined;
  try {
    const grid = await searchGrid(split, [...new Set(ks)], {
      name: "k",
      build: async (k) => {
        last?.close();
        return last = await build(k);
      },
      signal: options.signal,
      onCandidate: options.onCandidate,
    });
    last?.close();
    last = undefined;
    const model = await build(grid.best);
    return {
      model,
      params: { k: grid.best },
      grid: grid.results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    last?.close();
  }
}
