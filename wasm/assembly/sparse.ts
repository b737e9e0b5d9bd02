// Sparse weighted-bag input layer over CSR rows (an embedding-bag: out = bias + Σ val·W[idx,:]),
// its scatter backward, and the distinct-row list that drives lazy Adam.

function axpyRow(dst: usize, src: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize> c << 2;
    v128.store(dst + o, f32x4.relaxed_madd(av, v128.load(src + o), v128.load(dst + o)));
  }
  for (; c < n; c++) {
    const o = <usize> c << 2;
    store<f32>(dst + o, load<f32>(dst + o) + a * load<f32>(src + o));
  }
}

/**
 * out[B×OUT] row b = bias[OUT] + Σ_{j=offsets[b]}^{offsets[b+1]-1} values[j] · weight[indices[j], :]
 * with weight[IN×OUT]; offsets[B+1], indices[nnz] are i32, values[nnz] f32. bias = 0: no bias.
 * Rows r0..r1 only.
 */
export function sparseBagForward(
  out: usize,
  offsets: usize,
  indices: usize,
  values: usize,
  weight: usize,
  bias: usize,
  _B: i32,
  OUT: i32,
  r0: i32,
  r1: i32,
): void {
  const rowB = <usize> OUT << 2;
  for (let b = r0; b < r1; b++) {
    const o = out + <usize> b * rowB;
    if (bias) memory.copy(o, bias, rowB);
    else memory.fill(o, 0, rowB);
    const j1 = load<i32>(offsets + (<usize> (b + 1) << 2));
    for (let j = load<i32>(offsets + (<usize> b << 2)); j < j1; j++) {
      const idx = load<i32>(indices + (<usize> j << 2));
      axpyRow(o, weight + <usize> idx * rowB, load<f32>(values + (<usize> j << 2)), OUT);
    }
  }
}

/**
 * dWeight[idx,:] += val · dOut[b,:] for every entry, columns c0..c1 only so threads never write the
 * same element (accumulates: the caller keeps untouched rows zero, e.g. adamStepRows with
 * zeroGrad); dBias[c0..c1] = Σ_b dOut[b,c0..c1] (dBias = 0 skips it).
 */
export function sparseBagBackward(
  dWeight: usize,
  dBias: usize,
  dOut: usize,
  offsets: usize,
  indices: usize,
  values: usize,
  B: i32,
  OUT: i32,
  c0: i32,
  c1: i32,
): void {
  const rowB = <usize> OUT << 2;
  const w = c1 - c0;
  const col = <usize> c0 << 2;
  if (dBias) memory.fill(dBias + col, 0, <usize> w << 2);
  for (let b = 0; b < B; b++) {
    const d = dOut + <usize> b * rowB + col;
    if (dBias) axpyRow(dBias + col, d, 1, w);
    const j1 = load<i32>(offsets + (<usize> (b + 1) << 2));
    for (let j = load<i32>(offsets + (<usize> b << 2)); j < j1; j++) {
      const idx = load<i32>(indices + (<usize> j << 2));
      axpyRow(dWeight + <usize> idx * rowB + col, d, load<f32>(values + (<usize> j << 2)), w);
    }
  }
}

/**
 * Writes the distinct values of indices[nnz] to rows (first-seen order) and returns their count.
 * flags is a u8 table of size IN that must be all zero; it is left all zero.
 */
export function uniqueRows(rows: usize, flags: usize, indices: usize, nnz: i32): i32 {
  let n = 0;
  for (let j = 0; j < nnz; j++) {
    const idx = load<i32>(indices + (<usize> j << 2));
    if (load<u8>(flags + <usize> idx) == 0) {
      store<u8>(flags + <usize> idx, 1);
      store<i32>(rows + (<usize> n << 2), idx);
      n++;
    }
  }
  for (let r = 0; r < n; r++) store<u8>(flags + <usize> load<i32>(rows + (<usize> r << 2)), 0);
  return n;
}
