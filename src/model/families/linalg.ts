/**
 * Blocked Cholesky factorisation and inverse of a symmetric positive definite matrix in the kernel
 * (LAPACK's dpotrf + dpotri = dtrtri + dlauum, right-looking, blocked as in LAPACK 3): the kernel
 * does the arithmetic (wasm/assembly/linalg.ts), this file sequences the blocks and splits the big
 * products over the kernel's threads. Matrices are row-major float32 n × n at a byte offset; only
 * the lower triangle is read, and the strict upper triangle ends up zero (factor) or unused.
 */
import { invalid } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";

/** Block size: a multiple of the gemm's 6-row and 8-column register tiles, within its 256-deep K block. */
export const BLOCK = 192;

/** gemm.ts's init modes (wasm/assembly/gemm.ts). */
export const INIT_ZERO = 0;
export const INIT_ACC = 1;

/** Scratch the blocked routines need, allocated once per matrix size and reused. */
export interface Panels {
  /** Byte offset of n × BLOCK floats. */
  panel: number;
  /** Byte offset of BLOCK × BLOCK floats. */
  block: number;
}

/** Bytes of {@link Panels} for an n × n matrix. */
export function panelBytes(n: number): number {
  return 4 * (n * BLOCK + BLOCK * BLOCK);
}

/** Allocates {@link Panels} for matrices up to n × n in `kernel`. */
export function allocPanels(kernel: Kernel, n: number): Panels {
  return { panel: kernel.alloc(4 * n * BLOCK), block: kernel.alloc(4 * BLOCK * BLOCK) };
}

const at = (a: number, n: number, r: number, c: number) => a + 4 * (r * n + c);

// out (m × jb, contiguous) = A21 (m × jb inside the n-wide matrix) · w (jb × jb), split over rows.
function panelTimesBlock(
  kernel: Kernel,
  p: { out: number; a21: number; w: number; m: number; jb: number; n: number },
): void {
  kernel.split("gemmRows", {
    c: p.out,
    ldc: p.jb,
    a: p.a21,
    sAi: p.n,
    sAp: 1,
    b: p.w,
    sBk: p.jb,
    sBn: 1,
    M: p.m,
    K: p.jb,
    N: p.jb,
    init: INIT_ZERO,
  });
}

/**
 * A = L·Lᵀ in place: the lower triangle of `a` becomes L, its strict upper triangle zero. Throws
 * INVALID_PARAMETER naming the column where A is not positive definite.
 */
export function cholesky(kernel: Kernel, a: number, n: number, panels: Panels): void {
  const { panel: neg, block: w } = panels;
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const jb = Math.min(BLOCK, n - j0);
    const bad = kernel.run("choleskyBlock", { a, lda: n, j0, jb, n });
    if (bad) {
      throw invalid(`matrix is not positive definite at column ${bad} of ${n}`);
    }
    const m = n - j0 - jb;
    if (m === 0) break;
    // L21 = A21 · L11⁻ᵀ through −L21 = A21 · (−L11⁻ᵀ) into the panel, then copied back negated.
    kernel.run("lowerInverse", { w, a, lda: n, j0, jb, scale: -1, transposed: 1 });
    const a21 = at(a, n, j0 + jb, j0);
    panelTimesBlock(kernel, { out: neg, a21, w, m, jb, n });
    kernel.split("scaleCopy", {
      dst: a21,
      ldd: n,
      src: neg,
      lds: jb,
      cols: jb,
      scale: -1,
      rows: m,
    });
    // A22 −= L21·L21ᵀ (lower triangle), as (−L21)·L21ᵀ accumulated.
    kernel.split("syrkLower", {
      c: at(a, n, j0 + jb, j0 + jb),
      ldc: n,
      a: neg,
      sa: jb,
      b: a21,
      sb: n,
      K: jb,
      N: m,
      init: INIT_ACC,
    });
  }
}

/**
 * W = L⁻¹ in place from the Cholesky factor L in `a` (lower, zero above; W is too): dtrtri, last
 * block column first, W21 = −W22·L21·L11⁻¹ with W22 already inverted.
 */
export function triangularInverse(kernel: Kernel, a: number, n: number, panels: Panels): void {
  const { panel: tmp, block: w } = panels;
  const last = Math.floor((n - 1) / BLOCK) * BLOCK;
  for (let j0 = last; j0 >= 0; j0 -= BLOCK) {
    const jb = Math.min(BLOCK, n - j0);
    const m = n - j0 - jb;
    kernel.run("lowerInverse", { w, a, lda: n, j0, jb, scale: -1, transposed: 0 });
    if (m > 0) {
      const a21 = at(a, n, j0 + jb, j0);
      panelTimesBlock(kernel, { out: tmp, a21, w, m, jb, n });
      kernel.split("trmmLower", {
        c: a21,
        ldc: n,
        t: at(a, n, j0 + jb, j0 + jb),
        ldt: n,
        x: tmp,
        ldx: jb,
        cols: jb,
        rows: m,
      }, { chunk: 48 });
    }
    kernel.run("scaleCopy", {
      dst: at(a, n, j0, j0),
      ldd: n,
      src: w,
      lds: jb,
      cols: jb,
      scale: -1,
      rows: jb,
    });
  }
}

/**
 * P = Wᵀ·W in place for a lower-triangular W in `a` (zero above), lower triangle (dlauum): row
 * block i of P is W[i.., i-block]ᵀ · W[i.., ..i-block end], the block's own rows read from a copy
 * since the product overwrites them.
 */
export function lowerGram(kernel: Kernel, a: number, n: number, panels: Panels): void {
  const tmp = panels.panel;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const ib = Math.min(BLOCK, n - i0);
    const cols = i0 + ib;
    kernel.split("scaleCopy", {
      dst: tmp,
      ldd: n,
      src: at(a, n, i0, 0),
      lds: n,
      cols,
      scale: 1,
      rows: ib,
    });
    const row = at(a, n, i0, 0);
    kernel.split("gemmCols", {
      c: row,
      ldc: n,
      a: tmp + 4 * i0,
      sAi: 1,
      sAp: n,
      b: tmp,
      sBk: n,
      sBn: 1,
      M: ib,
      K: ib,
      N: cols,
      init: INIT_ZERO,
    });
    if (cols < n) {
      kernel.split("gemmCols", {
        c: row,
        ldc: n,
        a: at(a, n, cols, i0),
        sAi: 1,
        sAp: n,
        b: at(a, n, cols, 0),
        sBk: n,
        sBn: 1,
        M: ib,
        K: n - cols,
        N: cols,
        init: INIT_ACC,
      });
    }
  }
}

/** P = A⁻¹ (lower triangle) in place from A's Cholesky factor: dpotri = dtrtri + dlauum. */
export function inverseFromCholesky(kernel: Kernel, a: number, n: number, panels: Panels): void {
  triangularInverse(kernel, a, n, panels);
  lowerGram(kernel, a, n, panels);
}
