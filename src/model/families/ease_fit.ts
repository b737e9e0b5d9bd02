/**
 * EASE's closed-form fit in the kernel (Steck 2019, "Embarrassingly Shallow Autoencoders"):
 * B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, zero diagonal, for a binary users × items X.
 * Two exact routes to the same B:
 * - dense: G = XᵀX + λI (items × items), P by blocked Cholesky and inverse (n³ flops);
 * - low rank, when there are fewer users than items: by the Woodbury identity
 *   (λI + XᵀX)⁻¹ = (I − Xᵀ(λI + XXᵀ)⁻¹X) / λ, so P ∝ I − M with M = ZᵀZ, Z = L⁻¹X and L the
 *   Cholesky factor of the users × users λI + XXᵀ: u·n² multiply-adds instead of n³/2.
 * Either way the items × items matrix is the one big allocation; B overwrites it.
 *
 * On the low-rank route a λ can also be ranked without forming B: for a movie j outside a history
 * h, s_j = Σ_{i∈h} B_ij = (Σ_{i∈h} M_ij) / (1 − M_jj) = (y · z_j) / (1 − ‖z_j‖²) with y = Σ_{i∈h} z_i
 * and z_j the j-th column of Z — a u-wide bag and one product of the histories with Zᵀ, u·n
 * multiply-adds per history instead of the fit's n²·u/2. The grid search ranks its candidates so
 * and fits B once, for the chosen λ ({@link EaseSolver.reducedScorer}).
 */
import { internal, invalid } from "../../errors.ts";
import type { Scorer } from "../evaluation/ranking_metrics.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type BinaryCsr, csrToKernel, type KernelCsr, transposeCsr } from "./csr.ts";
import {
  allocPanels,
  cholesky,
  INIT_ZERO,
  inverseFromCholesky,
  panelBytes,
  type Panels,
} from "./linalg.ts";
import { triangularInverse } from "./linalg.ts";

/** How B is computed: see the module comment. */
export type EasePath = "dense" | "low-rank";

/** The route `auto` takes: low rank when users < items. */
export function easePath(items: number, users: number): EasePath {
  return users < items ? "low-rank" : "dense";
}

/**
 * Kernel bytes a fit needs beyond the CSR copies: the items × items matrix (which becomes B) plus
 * the route's working buffers.
 */
export function easeFitBytes(items: number, users: number, path = easePath(items, users)): number {
  const square = 4 * items * items;
  if (path === "dense") return square + panelBytes(items);
  return square + 4 * (2 * users * users + items * users) + panelBytes(users) +
    reducedScorerBytes(items, users);
}

/** Rows per tile of the kernel's easeWeights. */
const TILE = 16;

/** Histories per pass of the reduced scorer, and the history entries one pass holds. */
const REDUCED_ROWS = 256;
const REDUCED_NNZ = 1 << 17;

/** Kernel bytes of the reduced scorer's buffers (allocated on its first use). */
export function reducedScorerBytes(items: number, users: number): number {
  return 4 * (REDUCED_ROWS * (items + users) + REDUCED_ROWS + 1 + 2 * REDUCED_NNZ) + 5 * 64;
}

/** Fits EASE for any λ on one X, reusing its buffers: each fit overwrites {@link weights}. */
export class EaseSolver {
  /** Byte offset of B (items × items, row-major: row h = what history item h adds to each score). */
  readonly weights: number;
  readonly items: number;
  readonly users: number;
  readonly path: EasePath;
  readonly #kernel: Kernel;
  readonly #x: KernelCsr;
  readonly #xt: KernelCsr;
  readonly #scales: number;
  readonly #panels: Panels;
  // Low-rank route only: λI + XXᵀ then L⁻¹ (u × u), its transpose, Zᵀ (n × u), ones for the bags.
  readonly #k: number = 0;
  readonly #wt: number = 0;
  readonly #zt: number = 0;
  readonly #ones: number = 0;
  // The λ whose Zᵀ is in #zt (low rank), and the reduced scorer's buffers once allocated.
  #reduced = NaN;
  #scoring: { offsets: number; indices: number; ones: number; y: number; out: number } | null =
    null;

  constructor(kernel: Kernel, x: BinaryCsr, options: { path?: EasePath } = {}) {
    const n = this.items = x.cols;
    const u = this.users = x.rows;
    this.path = options.path ?? easePath(n, u);
    this.#kernel = kernel;
    this.#x = csrToKernel(kernel, x);
    const xt = transposeCsr(x);
    this.#xt = csrToKernel(kernel, xt);
    this.weights = kernel.alloc(4 * n * n);
    this.#scales = kernel.alloc(4 * n);
    if (this.path === "dense") {
      this.#panels = allocPanels(kernel, n);
    } else {
      this.#panels = allocPanels(kernel, u);
      this.#k = kernel.alloc(4 * u * u);
      this.#wt = kernel.alloc(4 * u * u);
      this.#zt = kernel.alloc(4 * n * u);
      this.#ones = kernel.alloc(4 * Math.max(1, xt.indices.length));
      kernel.f32(this.#ones, xt.indices.length).fill(1);
    }
  }

  /** Computes B for `lambda` (> 0) into {@link weights}. */
  fit(lambda: number): void {
    const k = this.#kernel;
    const n = this.items;
    if (this.path === "dense") {
      this.#gram(this.weights, this.#xt, this.#x, n, lambda);
      cholesky(k, this.weights, n, this.#panels);
      inverseFromCholesky(k, this.weights, n, this.#panels);
      this.#weightsFrom(1, 0);
      return;
    }
    const u = this.users;
    this.#reduce(lambda); // again even when current: a fit's time is a whole fit's (search budgets)
    k.split("syrkLower", {
      c: this.weights,
      ldc: n,
      a: this.#zt,
      sa: u,
      b: this.#zt,
      sb: u,
      K: u,
      N: n,
      init: INIT_ZERO,
    });
    this.#weightsFrom(-1, 1);
  }

  /**
   * Low-rank route only: scores of λ's EASE for any histories without forming B (see the module
   * comment). Every movie outside a history gets B's score up to float32 rounding; the history's
   * own movies, which a ranking excludes, get −∞. Valid until the next fit or reduction of another
   * λ (they share Zᵀ).
   */
  reducedScorer(lambda: number): Scorer {
    if (this.path !== "low-rank") {
      throw internal("EaseSolver.reducedScorer needs the low-rank route (fewer users than items)");
    }
    if (this.#reduced !== lambda) this.#reduce(lambda);
    const k = this.#kernel;
    const n = this.items, u = this.users;
    const buffers = this.#scoring ??= {
      offsets: k.alloc(4 * (REDUCED_ROWS + 1)),
      indices: k.alloc(4 * REDUCED_NNZ),
      ones: k.alloc(4 * REDUCED_NNZ),
      y: k.alloc(4 * REDUCED_ROWS * u),
      out: k.alloc(4 * REDUCED_ROWS * n),
    };
    k.f32(buffers.ones, REDUCED_NNZ).fill(1);
    // 1 / (1 − ‖z_j‖²): 1 / P_jj up to the factor λ, which cancels.
    const zt = k.f32(this.#zt, n * u);
    const inv = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let v = j * u, end = v + u; v < end; v++) s += zt[v] * zt[v];
      inv[j] = 1 / (1 - s);
    }
    const zAt = this.#zt;
    return {
      score: (histories, out) => {
        for (let start = 0; start < histories.length;) {
          let end = start, nnz = 0;
          while (
            end < histories.length && end - start < REDUCED_ROWS &&
            nnz + histories[end].length <= REDUCED_NNZ
          ) nnz += histories[end++].length;
          if (end === start) {
            throw invalid(
              `a history of ${histories[start].length} movies is longer than ${REDUCED_NNZ}`,
            );
          }
          const B = end - start;
          const offsets = k.i32(buffers.offsets, B + 1);
          const indices = k.i32(buffers.indices, Math.max(1, nnz));
          offsets[0] = 0;
          for (let r = 0, at = 0; r < B; r++) {
            indices.set(histories[start + r], at);
            at += histories[start + r].length;
            offsets[r + 1] = at;
          }
          k.split("sparseBagForward", {
            out: buffers.y,
            offsets: buffers.offsets,
            indices: buffers.indices,
            values: buffers.ones,
            weight: zAt,
            bias: 0,
            B,
            OUT: u,
          }, { chunk: 16 });
          k.split("denseForwardRows", {
            out: buffers.out,
            inp: buffers.y,
            weightRows: zAt,
            bias: 0,
            B,
            IN: u,
            OUT: n,
          });
          const scores = k.f32(buffers.out, B * n);
          for (let r = 0; r < B; r++) {
            const row = out.subarray((start + r) * n, (start + r + 1) * n);
            for (let j = 0; j < n; j++) row[j] = scores[r * n + j] * inv[j];
            for (const i of histories[start + r]) row[i] = -Infinity;
          }
          start = end;
        }
      },
    };
  }

  // Low rank: Zᵀ = (L⁻¹X)ᵀ for λ into #zt, L the Cholesky factor of λI + XXᵀ (u × u).
  #reduce(lambda: number): void {
    const k = this.#kernel;
    const n = this.items, u = this.users;
    this.#gram(this.#k, this.#x, this.#xt, u, lambda);
    cholesky(k, this.#k, u, this.#panels);
    triangularInverse(k, this.#k, u, this.#panels);
    k.run("transpose", { out: this.#wt, inp: this.#k, R: u, C: u });
    // Zᵀ[j] = Σ_{v watched j} L⁻ᵀ[v]: the columns of Z = L⁻¹X, one bag of rows per item.
    k.split("sparseBagForward", {
      out: this.#zt,
      offsets: this.#xt.offsets,
      indices: this.#xt.indices,
      values: this.#ones,
      weight: this.#wt,
      bias: 0,
      B: n,
      OUT: u,
    });
    this.#reduced = lambda;
  }

  // out = the Gram matrix of the `outer` lists' rows (+ shift on the diagonal), split over rows.
  #gram(out: number, outer: KernelCsr, inner: KernelCsr, N: number, shift: number): void {
    this.#kernel.split("gramBinary", {
      out,
      outerOffsets: outer.offsets,
      outerIdx: outer.indices,
      innerOffsets: inner.offsets,
      innerIdx: inner.indices,
      N,
      base: 0,
      shift,
      rows: N,
    }, { chunk: 16 });
  }

  // B from the lower triangle of A in `weights`, where P ∝ alpha·A + beta·I.
  #weightsFrom(alpha: number, beta: number): void {
    const n = this.items;
    const k = this.#kernel;
    k.run("easeScales", { scales: this.#scales, a: this.weights, lda: n, n, alpha, beta });
    k.split("easeWeights", {
      a: this.weights,
      lda: n,
      scales: this.#scales,
      n,
      tiles: Math.ceil(n / TILE),
    }, { chunk: 4 });
  }
}
