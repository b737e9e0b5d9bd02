/**
 * The EASE family (Steck 2019): dense item-to-item weights B (items × items, zero diagonal) from
 * the closed form in ease_fit.ts, λ chosen on validation NDCG@10 from a small grid.
 */
import { ReelrankError } from "../../errors.ts";
import type { Split } from "../../features/split.ts";
import { Kernel } from "../kernel/kernel.ts";
import type { ItemTensor } from "./checkpoint.ts";
import { trainCsr } from "./data.ts";
import { easeFitBytes, type EasePath, EaseSolver } from "./ease_fit.ts";
import { ITEM_MAX_NNZ, ItemItemModel, scoringBytes } from "./item_model.ts";
import { type FamilyFit, type FitOptions, searchGrid } from "./select.ts";

/** The λ grid: Steck's values for MovieLens-sized data lie in it; 50 is the reference's choice. */
export const EASE_LAMBDAS: readonly number[] = [10, 25, 50, 100, 200, 500];

/** Kernel bytes outside the fit's and the scorer's buffers (scratch, CSR copies, arena slack). */
const SLACK = 64 << 20;

/** EASE's weights on a kernel, scored by adding the history's rows of B. */
export class EaseModel extends ItemItemModel {
  readonly family = "ease" as const;
  readonly #weights: number;
  readonly #ones: number;
  /** Storage of B in checkpoints: float16 halves the file and left every metric unchanged (README). */
  storage: "f32" | "f16" = "f16";

  constructor(
    kernel: Kernel,
    weights: number,
    manifest: {
      itemIds: ArrayLike<number>;
      params: { lambda: number };
      info?: Record<string, unknown>;
    },
  ) {
    super(kernel, manifest);
    this.#weights = weights;
    this.#ones = kernel.alloc(4 * ITEM_MAX_NNZ);
    kernel.f32(this.#ones, ITEM_MAX_NNZ).fill(1);
  }

  protected scoreRows(offsets: number, indices: number, B: number, out: number): void {
    this.kernel.split("sparseBagForward", {
      out,
      offsets,
      indices,
      values: this.#ones,
      weight: this.#weights,
      bias: 0,
      B,
      OUT: this.size,
    }, { chunk: 2 });
  }

  weight(h: number, t: number): number {
    return this.kernel.f32(this.#weights + 4 * (h * this.size + t), 1)[0];
  }

  protected tensors(): ItemTensor[] {
    const n = this.size;
    return [{ name: "B", dtype: this.storage, data: this.kernel.f32(this.#weights, n * n) }];
  }

  /** One add per history movie and item. */
  flopPerHistory(length = 50): number {
    return length * this.size;
  }

  /** Kernel bytes a loaded EASE model over `n` items holds. */
  static bytes(n: number): number {
    return 4 * n * n + scoringBytes(n) + 4 * ITEM_MAX_NNZ + SLACK;
  }

  /** A model over `weights` (n × n values) copied into a kernel of its own. */
  static async create(
    weights: Float32Array,
    manifest: {
      itemIds: ArrayLike<number>;
      params: { lambda: number };
      info?: Record<string, unknown>;
    },
    options: { threads?: number; module?: WebAssembly.Module } = {},
  ): Promise<EaseModel> {
    const n = manifest.itemIds.length;
    const kernel = await Kernel.create({
      threads: options.threads ?? 1,
      module: options.module,
      initialMiB: Math.ceil(EaseModel.bytes(n) / 1048576),
    });
    try {
      const at = kernel.alloc(4 * n * n);
      kernel.f32(at, n * n).set(weights);
      return new EaseModel(kernel, at, manifest).own(kernel);
    } catch (err) {
      kernel.close();
      throw err;
    }
  }
}

/** Kernel bytes an EASE fit on `split`-sized data needs, and the route it takes. */
export function easeNeeds(items: number, users: number, path?: EasePath): number {
  return easeFitBytes(items, users, path) + EaseModel.bytes(items) - 4 * items * items;
}

/**
 * Ranks EASE on the train items for every λ of the grid — on the low-rank route from Zᵀ without
 * forming B, on the dense route by fitting each — keeps the best on validation NDCG@10, fits it
 * (again, on the dense route, when it was not the last) and returns it in a kernel of its own. Throws
 * UNAVAILABLE (permanent) when the items × items matrix does not fit `memoryBytes`.
 */
export async function trainEase(
  split: Split,
  options: FitOptions & { lambdas?: readonly number[]; path?: EasePath },
): Promise<FamilyFit<EaseModel>> {
  const started = performance.now();
  const x = trainCsr(split);
  const need = easeNeeds(x.cols, x.rows, options.path);
  if (need > options.memoryBytes) {
    throw new ReelrankError("UNAVAILABLE", easeTooLarge(x.cols, need, options.memoryBytes), {
      permanent: true,
    });
  }
  const kernel = await Kernel.create({
    threads: options.threads ?? 1,
    initialMiB: Math.ceil(need / 1048576),
  });
  try {
    const solver = new EaseSolver(kernel, x, { path: options.path });
    const itemIds = split.universe.ids;
    let fitted = NaN;
    let fitSeconds = Infinity;
    const model = (lambda: number) =>
      new EaseModel(kernel, solver.weights, { itemIds, params: { lambda } });
    const fit = (lambda: number) => {
      const t = performance.now();
      solver.fit(lambda);
      fitSeconds = Math.min(fitSeconds, (performance.now() - t) / 1000);
      fitted = lambda;
    };
    // Low rank: candidates are ranked from Zᵀ without forming B, then B is fitted once.
    const reduced = solver.path === "low-rank";
    const grid = await searchGrid(split, options.lambdas ?? EASE_LAMBDAS, {
      build: (lambda) => {
        if (reduced) return { scorer: () => solver.reducedScorer(lambda) };
        fit(lambda);
        return model(lambda);
      },
      signal: options.signal,
      onCandidate: options.onCandidate,
      name: "lambda",
    });
    if (fitted !== grid.best) fit(grid.best);
    return {
      model: model(grid.best).own(kernel),
      params: { lambda: grid.best, path: solver.path },
      grid: grid.results,
      seconds: (performance.now() - started) / 1000,
      fitSeconds,
    };
  } catch (err) {
    kernel.close();
    throw err;
  }
}

/** Why EASE is skipped for a catalogue: its matrix, the limit, the largest catalogue that fits. */
export function easeTooLarge(items: number, need: number, limit: number): string {
  const mib = (b: number) => `${Math.ceil(b / 1048576)} MiB`;
  return `EASE skipped: ${items} items need ${mib(need)} for the items × items matrix and its ` +
    `buffers, over the ${mib(limit)} limit (REELRANK_FAMILY_MEMORY_MIB); at most about ` +
    `${easeMaxItems(limit)} items fit`;
}

/**
 * The largest catalogue whose EASE fit fits `limit` bytes: by the dense route (as many users as
 * items or more) unless `users` is given.
 */
export function easeMaxItems(limit: number, users?: number): number {
  const need = (n: number) => easeNeeds(n, users ?? n, users === undefined ? "dense" : undefined);
  let n = Math.floor(Math.sqrt(limit / 4));
  while (n > 0 && need(n) > limit) n--;
  return n;
}
