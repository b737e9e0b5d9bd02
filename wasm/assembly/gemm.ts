// Cache-blocked SIMD matrix product C (=|+=) A·B, the core of every dense op (GotoBLAS/BLIS style:
// B packed into 8-column strips, a 6×8 register-blocked microkernel reading A in place).
import { scratchPtr } from "./thread";

// K block: a packed B strip (KC×8 floats = 8 KiB) stays in L1 while every A panel sweeps it.
const KC: i32 = 256;
// M block: MC rows of A (MC×KC floats ≈ 264 KiB) stay in L2 across all B strips.
const MC: i32 = 264;
const MR: i32 = 6;
// N panel: 8 strips packed together (64 KiB at KC = 256, in L2).
const NC: i32 = 64;

/** Byte layout of a thread's scratch used here: tiles, then the packed B panel. */
export const SCRATCH_TILE: usize = 0;
export const SCRATCH_BIAS: usize = 64;
export const SCRATCH_B: usize = 256;
export const SCRATCH_GEMM_END: usize = SCRATCH_B + <usize> (KC * NC * 4);

/** Init modes for the first K block: start from zero, from C (accumulate), or from a bias row. */
export const INIT_ZERO: i32 = 0;
export const INIT_ACC: i32 = 1;
export const INIT_BIAS: i32 = 2;

// B(k0..k0+kb, n..n+nc) → dst as ⌈nc/8⌉ strips of kb rows × 8 floats, zero padded (strides in
// floats). A whole NC-column panel is packed per pass so each cache line of B is read once.
function packB(dst: usize, b: usize, sBk: i32, sBn: i32, k0: i32, kb: i32, n: i32, nc: i32): void {
  const stripB = <usize> kb * 32;
  if (nc & 7) memory.fill(dst + <usize> (nc >> 3) * stripB, 0, stripB);
  if (sBn == 1) {
    const full = nc >> 3;
    let src = b + (<usize> (k0 * sBk + n) << 2);
    const step = <usize> sBk << 2;
    for (let p = 0; p < kb; p++) {
      let d = dst + (<usize> p << 5);
      for (let s = 0; s < full; s++) {
        v128.store(d, v128.load(src + (<usize> s << 5)));
        v128.store(d, v128.load(src + (<usize> s << 5), 16), 16);
        d += stripB;
      }
      for (let j = full << 3; j < nc; j++) {
        store<f32>(d + (<usize> (j & 7) << 2), load<f32>(src + (<usize> j << 2)));
      }
      src += step;
    }
    return;
  }
  let j0 = 0;
  if (sBk == 1) {
    // B is a transposed row-major matrix (dX = dY·Wᵀ): 4×4 register transposes, 4 rows at a time.
    const kb4 = kb & ~3;
    const rowS = <usize> sBn << 2;
    for (; j0 + 4 <= nc; j0 += 4) {
      const s0 = b + (<usize> (k0 + (n + j0) * sBn) << 2);
      let d = dst + <usize> (j0 >> 3) * stripB + (<usize> (j0 & 7) << 2);
      for (let p = 0; p < kb4; p += 4) {
        const o = <usize> p << 2;
        const r0 = v128.load(s0 + o), r1 = v128.load(s0 + rowS + o);
        const r2 = v128.load(s0 + 2 * rowS + o), r3 = v128.load(s0 + 3 * rowS + o);
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(d, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
        v128.store(d, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
        v128.store(d, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        d += 128;
      }
      for (let p = kb4; p < kb; p++) {
        for (let t = 0; t < 4; t++) {
          store<f32>(d + (<usize> t << 2), load<f32>(s0 + <usize> t * rowS + (<usize> p << 2)));
        }
        d += 32;
      }
    }
  }
  const step = <usize> sBk << 2;
  for (let j = j0; j < nc; j++) {
    let src = b + (<usize> (k0 * sBk + (n + j) * sBn) << 2);
    let d = dst + <usize> (j >> 3) * stripB + (<usize> (j & 7) << 2);
    for (let p = 0; p < kb; p++) {
      store<f32>(d, load<f32>(src));
      d += 32;
      src += step;
    }
  }
}

function rowPtr(c: usize, nb: i32, tile: usize): usize {
  if (nb == 8) return c;
  memory.fill(tile, 0, 32);
  memory.copy(tile, c, <usize> nb << 2);
  return tile;
}

function storeRow(c: usize, lo: v128, hi: v128, nb: i32, tile: usize): void {
  if (nb == 8) {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  } else {
    v128.store(tile, lo);
    v128.store(tile, hi, 16);
    memory.copy(c, tile, <usize> nb << 2);
  }
}

// 6×8 register block: 12 accumulators + 2 B vectors + 1 splat = 15 of the 16 xmm registers.
// A is read in place (no packing, so threads splitting N share nothing): row r starts at a_r and
// advances `step` bytes per k. Only the first mr rows and nb columns of C are read or written.
function micro6x8(
  c: usize,
  ldc: usize,
  a: usize,
  sAi: usize,
  step: usize,
  bp: usize,
  kb: i32,
  mode: i32,
  bias: usize,
  nb: i32,
  mr: i32,
  tile: usize,
  packedRows: bool,
  bstep: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  if (mode == INIT_BIAS) {
    c00 = v128.load(bias);
    c01 = v128.load(bias, 16);
    c10 = c00;
    c11 = c01;
    c20 = c00;
    c21 = c01;
    c30 = c00;
    c31 = c01;
    c40 = c00;
    c41 = c01;
    c50 = c00;
    c51 = c01;
  } else if (mode == INIT_ACC) {
    let r = rowPtr(c, nb, tile);
    c00 = v128.load(r);
    c01 = v128.load(r, 16);
    if (mr > 1) {
      r = rowPtr(c + ldc, nb, tile);
      c10 = v128.load(r);
      c11 = v128.load(r, 16);
    }
    if (mr > 2) {
      r = rowPtr(c + 2 * ldc, nb, tile);
      c20 = v128.load(r);
      c21 = v128.load(r, 16);
    }
    if (mr > 3) {
      r = rowPtr(c + 3 * ldc, nb, tile);
      c30 = v128.load(r);
      c31 = v128.load(r, 16);
    }
    if (mr > 4) {
      r = rowPtr(c + 4 * ldc, nb, tile);
      c40 = v128.load(r);
      c41 = v128.load(r, 16);
    }
    if (mr > 5) {
      r = rowPtr(c + 5 * ldc, nb, tile);
      c50 = v128.load(r);
      c51 = v128.load(r, 16);
    }
  }
  // Rows past mr repeat the last valid row: computed, never stored, never out of bounds.
  const a0 = a;
  const a1 = a + <usize> min(1, mr - 1) * sAi;
  const a2 = a + <usize> min(2, mr - 1) * sAi;
  const a3 = a + <usize> min(3, mr - 1) * sAi;
  const a4 = a + <usize> min(4, mr - 1) * sAi;
  const a5 = a + <usize> min(5, mr - 1) * sAi;
  let off: usize = 0;
  if (packedRows) {
    // A's rows are adjacent floats (A = Xᵀ for dW): one pointer, immediate offsets.
    let ap = a;
    for (let p = 0; p < kb; p++) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = f32x4.relaxed_madd(x, b0, c00);
      c01 = f32x4.relaxed_madd(x, b1, c01);
      x = v128.load32_splat(ap, 4);
      c10 = f32x4.relaxed_madd(x, b0, c10);
      c11 = f32x4.relaxed_madd(x, b1, c11);
      x = v128.load32_splat(ap, 8);
      c20 = f32x4.relaxed_madd(x, b0, c20);
      c21 = f32x4.relaxed_madd(x, b1, c21);
      x = v128.load32_splat(ap, 12);
      c30 = f32x4.relaxed_madd(x, b0, c30);
      c31 = f32x4.relaxed_madd(x, b1, c31);
      x = v128.load32_splat(ap, 16);
      c40 = f32x4.relaxed_madd(x, b0, c40);
      c41 = f32x4.relaxed_madd(x, b1, c41);
      x = v128.load32_splat(ap, 20);
      c50 = f32x4.relaxed_madd(x, b0, c50);
      c51 = f32x4.relaxed_madd(x, b1, c51);
      ap += step;
      bp += bstep;
    }
  } else {
    for (let p = 0; p < kb; p++) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let x = v128.load32_splat(a0 + off);
      c00 = f32x4.relaxed_madd(x, b0, c00);
      c01 = f32x4.relaxed_madd(x, b1, c01);
      x = v128.load32_splat(a1 + off);
      c10 = f32x4.relaxed_madd(x, b0, c10);
      c11 = f32x4.relaxed_madd(x, b1, c11);
      x = v128.load32_splat(a2 + off);
      c20 = f32x4.relaxed_madd(x, b0, c20);
      c21 = f32x4.relaxed_madd(x, b1, c21);
      x = v128.load32_splat(a3 + off);
      c30 = f32x4.relaxed_madd(x, b0, c30);
      c31 = f32x4.relaxed_madd(x, b1, c31);
      x = v128.load32_splat(a4 + off);
      c40 = f32x4.relaxed_madd(x, b0, c40);
      c41 = f32x4.relaxed_madd(x, b1, c41);
      x = v128.load32_splat(a5 + off);
      c50 = f32x4.relaxed_madd(x, b0, c50);
      c51 = f32x4.relaxed_madd(x, b1, c51);
      off += step;
      bp += bstep;
    }
  }
  storeRow(c, c00, c01, nb, tile);
  if (mr > 1) storeRow(c + ldc, c10, c11, nb, tile);
  if (mr > 2) storeRow(c + 2 * ldc, c20, c21, nb, tile);
  if (mr > 3) storeRow(c + 3 * ldc, c30, c31, nb, tile);
  if (mr > 4) storeRow(c + 4 * ldc, c40, c41, nb, tile);
  if (mr > 5) storeRow(c + 5 * ldc, c50, c51, nb, tile);
}

// 4×8 block for the last rows of A (batch 16 = 6 + 6 + 4) so no row of work is wasted.
function micro4x8(
  c: usize,
  ldc: usize,
  a: usize,
  sAi: usize,
  step: usize,
  bp: usize,
  kb: i32,
  mode: i32,
  bias: usize,
  nb: i32,
  mr: i32,
  tile: usize,
  bstep: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (mode == INIT_BIAS) {
    c00 = v128.load(bias);
    c01 = v128.load(bias, 16);
    c10 = c00;
    c11 = c01;
    c20 = c00;
    c21 = c01;
    c30 = c00;
    c31 = c01;
  } else if (mode == INIT_ACC) {
    let r = rowPtr(c, nb, tile);
    c00 = v128.load(r);
    c01 = v128.load(r, 16);
    if (mr > 1) {
      r = rowPtr(c + ldc, nb, tile);
      c10 = v128.load(r);
      c11 = v128.load(r, 16);
    }
    if (mr > 2) {
      r = rowPtr(c + 2 * ldc, nb, tile);
      c20 = v128.load(r);
      c21 = v128.load(r, 16);
    }
    if (mr > 3) {
      r = rowPtr(c + 3 * ldc, nb, tile);
      c30 = v128.load(r);
      c31 = v128.load(r, 16);
    }
  }
  const a0 = a;
  const a1 = a + <usize> min(1, mr - 1) * sAi;
  const a2 = a + <usize> min(2, mr - 1) * sAi;
  const a3 = a + <usize> min(3, mr - 1) * sAi;
  let off: usize = 0;
  for (let p = 0; p < kb; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let x = v128.load32_splat(a0 + off);
    c00 = f32x4.relaxed_madd(x, b0, c00);
    c01 = f32x4.relaxed_madd(x, b1, c01);
    x = v128.load32_splat(a1 + off);
    c10 = f32x4.relaxed_madd(x, b0, c10);
    c11 = f32x4.relaxed_madd(x, b1, c11);
    x = v128.load32_splat(a2 + off);
    c20 = f32x4.relaxed_madd(x, b0, c20);
    c21 = f32x4.relaxed_madd(x, b1, c21);
    x = v128.load32_splat(a3 + off);
    c30 = f32x4.relaxed_madd(x, b0, c30);
    c31 = f32x4.relaxed_madd(x, b1, c31);
    off += step;
    bp += bstep;
  }
  storeRow(c, c00, c01, nb, tile);
  if (mr > 1) storeRow(c + ldc, c10, c11, nb, tile);
  if (mr > 2) storeRow(c + 2 * ldc, c20, c21, nb, tile);
  if (mr > 3) storeRow(c + 3 * ldc, c30, c31, nb, tile);
}

/**
 * C[M × N] columns n0..n1 (=|+=) A[M × K] · B[K × N]; strides in floats.
 * A(i, p) = a[i*sAi + p*sAp], B(p, n) = b[p*sBk + n*sBn], C(i, n) = c[i*ldc + n].
 * init: INIT_ZERO, INIT_ACC, or INIT_BIAS (C starts from bias[n]). Threads split [n0, n1).
 */
export function gemm(
  c: usize,
  ldc: i32,
  a: usize,
  sAi: i32,
  sAp: i32,
  b: usize,
  sBk: i32,
  sBn: i32,
  M: i32,
  K: i32,
  n0: i32,
  n1: i32,
  init: i32,
  bias: usize,
): void {
  if (n1 <= n0) return;
  const tile = scratchPtr + SCRATCH_TILE;
  const biasTile = scratchPtr + SCRATCH_BIAS;
  const bpanel = scratchPtr + SCRATCH_B;
  const ldcB = <usize> ldc << 2, sAiB = <usize> sAi << 2, sApB = <usize> sAp << 2;
  for (let m0 = 0; m0 < M; m0 += MC) {
    const mb = min(MC, M - m0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kb = min(KC, K - k0);
      const mode = k0 == 0 ? init : INIT_ACC;
      // Few rows of A (batch 16): packing B would cost as much as the product, so read B in place.
      const direct = M <= 4 * MR && sBn == 1;
      for (let np = n0; np < n1; np += NC) {
        const nc = min(NC, n1 - np);
        if (!direct) packB(bpanel, b, sBk, sBn, k0, kb, np, nc);
        for (let n = np; n < np + nc; n += 8) {
          const nb = min(8, np + nc - n);
          if (mode == INIT_BIAS) {
            memory.fill(biasTile, 0, 32);
            memory.copy(biasTile, bias + (<usize> n << 2), <usize> nb << 2);
          }
          let strip = bpanel + <usize> ((n - np) >> 3) * <usize> kb * 32;
          let bstep: usize = 32;
          if (direct) {
            if (nb == 8) {
              strip = b + (<usize> (k0 * sBk + n) << 2);
              bstep = <usize> sBk << 2;
            } else {
              packB(bpanel, b, sBk, sBn, k0, kb, n, nb);
              strip = bpanel;
            }
          }
          let q = 0;
          if (sAi == 1) {
            for (; q + MR <= mb; q += MR) {
              micro6x8(
                c + <usize> (m0 + q) * ldcB + (<usize> n << 2),
                ldcB,
                a + <usize> (m0 + q) * sAiB + <usize> k0 * sApB,
                sAiB,
                sApB,
                strip,
                kb,
                mode,
                biasTile,
                nb,
                MR,
                tile,
                true,
                bstep,
              );
            }
          }
          for (; q < mb; q += MR) {
            const mr = min(MR, mb - q);
            const cq = c + <usize> (m0 + q) * ldcB + (<usize> n << 2);
            const aq = a + <usize> (m0 + q) * sAiB + <usize> k0 * sApB;
            if (mr <= 4) {
              micro4x8(cq, ldcB, aq, sAiB, sApB, strip, kb, mode, biasTile, nb, mr, tile, bstep);
            } else {
              micro6x8(
                cq,
                ldcB,
                aq,
                sAiB,
                sApB,
                strip,
                kb,
                mode,
                biasTile,
                nb,
                mr,
                tile,
                false,
                bstep,
              );
            }
          }
        }
      }
    }
  }
}
