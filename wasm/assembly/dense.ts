// Dense layer Y = X·W + b with W stored IN×OUT (row k holds input k's fan-out), forward/backward.
// Reference: tests/reference/ops.ts (denseForward/denseBackward); maths as in llm.c matmul.
import { gemm, INIT_ACC, INIT_BIAS, INIT_ZERO } from "./gemm";
import { rowDot } from "./rowdot";
import { MAX_VEC_IN, SCRATCH_LIST, scratchPtr } from "./thread";

/**
 * out[B×OUT] = inp[B×IN] · weight[IN×OUT] + bias[OUT], output columns c0..c1 only.
 * bias = 0 means no bias.
 */
export function denseForward(
  out: usize,
  inp: usize,
  weight: usize,
  bias: usize,
  B: i32,
  IN: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): void {
  gemm(out, OUT, inp, IN, 1, weight, OUT, 1, B, IN, c0, c1, bias ? INIT_BIAS : INIT_ZERO, bias);
}

/** dInp[B×IN] = dOut[B×OUT] · weightᵀ, input columns c0..c1 only. */
export function denseBackwardInput(
  dInp: usize,
  dOut: usize,
  weight: usize,
  B: i32,
  IN: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): void {
  gemm(dInp, IN, dOut, OUT, 1, weight, 1, OUT, B, OUT, c0, c1, INIT_ZERO, 0);
}

/**
 * dWeight[IN×OUT] (=|+= when accumulate) inpᵀ · dOut and dBias[OUT] (=|+=) Σ_b dOut[b,:],
 * output columns c0..c1 only. dBias = 0 skips the bias gradient.
 */
export function denseBackwardWeight(
  dWeight: usize,
  dBias: usize,
  inp: usize,
  dOut: usize,
  B: i32,
  IN: i32,
  OUT: i32,
  accumulate: i32,
  c0: i32,
  c1: i32,
): void {
  gemm(dWeight, OUT, inp, 1, IN, dOut, OUT, 1, IN, B, c0, c1, accumulate ? INIT_ACC : INIT_ZERO, 0);
  if (dBias) columnSums(dBias, dOut, B, OUT, c0, c1, accumulate);
}

// dBias[c0..c1] (=|+=) Σ_b dOut[b, c0..c1], rows outer so loads are contiguous.
function columnSums(
  dBias: usize,
  dOut: usize,
  B: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
  accumulate: i32,
): void {
  const col = <usize> c0 << 2, len = <usize> (c1 - c0) << 2;
  if (!accumulate) memory.fill(dBias + col, 0, len);
  const cv = c0 + ((c1 - c0) & ~3);
  for (let b = 0; b < B; b++) {
    const r = dOut + <usize> b * (<usize> OUT << 2);
    for (let c = c0; c < cv; c += 4) {
      const o = <usize> c << 2;
      v128.store(dBias + o, f32x4.add(v128.load(dBias + o), v128.load(r + o)));
    }
    for (let c = cv; c < c1; c++) {
      store<f32>(
        dBias + (<usize> c << 2),
        load<f32>(dBias + (<usize> c << 2)) + load<f32>(r + (<usize> c << 2)),
      );
    }
  }
}

/**
 * As denseBackwardWeight but from inpT[IN×B] = inpᵀ (see `transpose`): A is then read along rows,
 * which uses whole cache lines when OUT is wide.
 */
export function denseBackwardWeightT(
  dWeight: usize,
  dBias: usize,
  inpT: usize,
  dOut: usize,
  B: i32,
  IN: i32,
  OUT: i32,
  accumulate: i32,
  c0: i32,
  c1: i32,
): void {
  gemm(dWeight, OUT, inpT, B, 1, dOut, OUT, 1, IN, B, c0, c1, accumulate ? INIT_ACC : INIT_ZERO, 0);
  if (dBias) columnSums(dBias, dOut, B, OUT, c0, c1, accumulate);
}

/** Single-thread convenience: all three gradients at once. dInp = 0 skips the input gradient. */
export function denseBackward(
  dInp: usize,
  dWeight: usize,
  dBias: usize,
  inp: usize,
  dOut: usize,
  weight: usize,
  B: i32,
  IN: i32,
  OUT: i32,
): void {
  if (dInp) denseBackwardInput(dInp, dOut, weight, B, IN, OUT, 0, IN);
  denseBackwardWeight(dWeight, dBias, inp, dOut, B, IN, OUT, 0, 0, OUT);
}

/**
 * Batch-1 path: out[OUT] = bias + Σ_k inp[k] · weight[k,:], skipping zero inputs (after ReLU about
 * half), so only the weight rows that matter are streamed. Output columns c0..c1 (c0 multiple of 4).
 * Returns 0, or -1 when IN exceeds the scratch list.
 */
export function denseForwardVec(
  out: usize,
  inp: usize,
  weight: usize,
  bias: usize,
  IN: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): i32 {
  if (IN > MAX_VEC_IN) return -1;
  const list = scratchPtr + SCRATCH_LIST;
  let nz = 0;
  for (let k = 0; k < IN; k++) {
    if (load<f32>(inp + (<usize> k << 2)) != 0) {
      store<i32>(list + (<usize> nz << 2), k);
      nz++;
    }
  }
  if (bias) memory.copy(out + (<usize> c0 << 2), bias + (<usize> c0 << 2), <usize> (c1 - c0) << 2);
  else memory.fill(out + (<usize> c0 << 2), 0, <usize> (c1 - c0) << 2);
  const rowB = <usize> OUT << 2;
  const cv = c0 + ((c1 - c0) & ~3);
  let j = 0;
  // Eight weight rows per pass over out: 8 loads + 1 load/store of out per 8 FMAs.
  for (; j + 8 <= nz; j += 8) {
    const k0 = load<i32>(list + (<usize> j << 2)), k1 = load<i32>(list + (<usize> j << 2), 4);
    const k2 = load<i32>(list + (<usize> j << 2), 8), k3 = load<i32>(list + (<usize> j << 2), 12);
    const k4 = load<i32>(list + (<usize> j << 2), 16), k5 = load<i32>(list + (<usize> j << 2), 20);
    const k6 = load<i32>(list + (<usize> j << 2), 24), k7 = load<i32>(list + (<usize> j << 2), 28);
    const x0 = v128.load32_splat(inp + (<usize> k0 << 2)),
      x1 = v128.load32_splat(inp + (<usize> k1 << 2));
    const x2 = v128.load32_splat(inp + (<usize> k2 << 2)),
      x3 = v128.load32_splat(inp + (<usize> k3 << 2));
    const x4 = v128.load32_splat(inp + (<usize> k4 << 2)),
      x5 = v128.load32_splat(inp + (<usize> k5 << 2));
    const x6 = v128.load32_splat(inp + (<usize> k6 << 2)),
      x7 = v128.load32_splat(inp + (<usize> k7 << 2));
    const w0 = weight + <usize> k0 * rowB, w1 = weight + <usize> k1 * rowB;
    const w2 = weight + <usize> k2 * rowB, w3 = weight + <usize> k3 * rowB;
    const w4 = weight + <usize> k4 * rowB, w5 = weight + <usize> k5 * rowB;
    const w6 = weight + <usize> k6 * rowB, w7 = weight + <usize> k7 * rowB;
    for (let c = c0; c < cv; c += 4) {
      const o = <usize> c << 2;
      let acc = v128.load(out + o);
      acc = f32x4.relaxed_madd(x0, v128.load(w0 + o), acc);
      acc = f32x4.relaxed_madd(x1, v128.load(w1 + o), acc);
      acc = f32x4.relaxed_madd(x2, v128.load(w2 + o), acc);
      acc = f32x4.relaxed_madd(x3, v128.load(w3 + o), acc);
      acc = f32x4.relaxed_madd(x4, v128.load(w4 + o), acc);
      acc = f32x4.relaxed_madd(x5, v128.load(w5 + o), acc);
      acc = f32x4.relaxed_madd(x6, v128.load(w6 + o), acc);
      acc = f32x4.relaxed_madd(x7, v128.load(w7 + o), acc);
      v128.store(out + o, acc);
    }
  }
  for (; j < nz; j++) {
    const k = load<i32>(list + (<usize> j << 2));
    const x = v128.load32_splat(inp + (<usize> k << 2));
    const w = weight + <usize> k * rowB;
    for (let c = c0; c < cv; c += 4) {
      const o = <usize> c << 2;
      v128.store(out + o, f32x4.relaxed_madd(x, v128.load(w + o), v128.load(out + o)));
    }
  }
  // Columns past the last multiple of 4 (odd OUT).
  for (let c = cv; c < c1; c++) {
    let s = load<f32>(out + (<usize> c << 2));
    for (let t = 0; t < nz; t++) {
      const k = load<i32>(list + (<usize> t << 2));
      s += load<f32>(inp + (<usize> k << 2)) *
        load<f32>(weight + <usize> k * rowB + (<usize> c << 2));
    }
    store<f32>(out + (<usize> c << 2), s);
  }
  return 0;
}

/**
 * out[B×OUT] = inp[B×IN] · weightRowsᵀ + bias[OUT] with weightRows[OUT×IN] (row o holds output
 * o's fan-in, as an item table does), output columns c0..c1 only; bias = 0 means no bias. Its
 * backward is denseForward (input gradient: dOut · weightRows), denseBackwardWeight with the
 * roles of inp and dOut swapped (weight gradient: dOutᵀ · inp) and denseBackwardBias.
 * Fewer than 16 rows (serving a few histories) take dot products along the contiguous weight rows.
 */
export function denseForwardRows(
  out: usize,
  inp: usize,
  weightRows: usize,
  bias: usize,
  B: i32,
  IN: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): void {
  if (B >= 16) {
    gemm(
      out,
      OUT,
      inp,
      IN,
      1,
      weightRows,
      1,
      IN,
      B,
      IN,
      c0,
      c1,
      bias ? INIT_BIAS : INIT_ZERO,
      bias,
    );
    return;
  }
  const rowB = <usize> IN << 2;
  // Each weight row is read once from memory and stays in L1 for the batch's rows.
  for (let o = c0; o < c1; o++) {
    const w = weightRows + <usize> o * rowB;
    for (let b = 0; b < B; b++) {
      let s = rowDot(inp + <usize> b * rowB, w, IN);
      if (bias) s += load<f32>(bias + (<usize> o << 2));
      store<f32>(out + <usize> b * (<usize> OUT << 2) + (<usize> o << 2), s);
    }
  }
}

/** dBias[OUT] = Σ_b dOut[b,:] (B×OUT), columns c0..c1 only. */
export function denseBackwardBias(
  dBias: usize,
  dOut: usize,
  B: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): void {
  columnSums(dBias, dOut, B, OUT, c0, c1, 0);
}
