/** Binary sparse matrices in CSR form (users × items and back) and their copies in kernel memory. */
import type { Kernel } from "../kernel/kernel.ts";

/** A binary matrix: row r holds the columns indices[offsets[r] .. offsets[r + 1]), ascending. */
export interface BinaryCsr {
  rows: number;
  cols: number;
  offsets: Int32Array;
  indices: Int32Array;
}

/** The binary matrix whose row r is the set of `lists[r]` (duplicates dropped, sorted). */
export function binaryCsr(lists: readonly ArrayLike<number>[], cols: number): BinaryCsr {
  const offsets = new Int32Array(lists.length + 1);
  const sets = lists.map((l) => Int32Array.from(new Set(Array.from(l))).sort());
  sets.forEach((s, r) => (offsets[r + 1] = offsets[r] + s.length));
  const indices = new Int32Array(offsets[lists.length]);
  sets.forEach((s, r) => indices.set(s, offsets[r]));
  return { rows: lists.length, cols, offsets, indices };
}

/** The transpose (a counting sort: rows of the result stay ascending). */
export function transposeCsr(m: BinaryCsr): BinaryCsr {
  const offsets = new Int32Array(m.cols + 1);
  for (const c of m.indices) offsets[c + 1]++;
  for (let c = 0; c < m.cols; c++) offsets[c + 1] += offsets[c];
  const fill = offsets.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let e = m.offsets[r]; e < m.offsets[r + 1]; e++) indices[fill[m.indices[e]]++] = r;
  }
  return { rows: m.cols, cols: m.rows, offsets, indices };
}

/** Byte offsets of a CSR's arrays copied into a kernel. */
export interface KernelCsr {
  offsets: number;
  indices: number;
}

/** Copies `m` into `kernel`'s arena (permanent: the arena does not free). */
export function csrToKernel(kernel: Kernel, m: BinaryCsr): KernelCsr {
  const offsets = kernel.alloc(4 * m.offsets.length);
  kernel.i32(offsets, m.offsets.length).set(m.offsets);
  const indices = kernel.alloc(4 * Math.max(1, m.indices.length));
  kernel.i32(indices, m.indices.length).set(m.indices);
  return { offsets, indices };
}
