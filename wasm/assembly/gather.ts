// Gather/scatter of weight columns or rows: moves a per-batch candidate subset of output classes
// into a contiguous block for a dense forward/backward, then adds the gradients back.

/** out[K×C] = src[K×N][:, cols[C]] (cols i32); used for the candidate block of an IN×OUT weight. */
export function gatherColumns(out: usize, src: usize, cols: usize, K: i32, N: i32, C: i32): void {
  for (let k = 0; k < K; k++) {
    const s = src + (<usize> k * <usize> N << 2);
    const o = out + (<usize> k * <usize> C << 2);
    for (let j = 0; j < C; j++) {
      store<f32>(
        o + (<usize> j << 2),
        load<f32>(s + (<usize> load<i32>(cols + (<usize> j << 2)) << 2)),
      );
    }
  }
}

/** dst[K×N][:, cols[j]] += src[K×C][:, j]; repeated columns accumulate. */
export function scatterAddColumns(
  dst: usize,
  src: usize,
  cols: usize,
  K: i32,
  N: i32,
  C: i32,
): void {
  for (let k = 0; k < K; k++) {
    const d = dst + (<usize> k * <usize> N << 2);
    const s = src + (<usize> k * <usize> C << 2);
    for (let j = 0; j < C; j++) {
      const p = d + (<usize> load<i32>(cols + (<usize> j << 2)) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(s + (<usize> j << 2)));
    }
  }
}

/** out[R×L] = src[·×L][rows[R], :] (rows i32). */
export function gatherRows(out: usize, src: usize, rows: usize, R: i32, L: i32): void {
  const rowB = <usize> L << 2;
  for (let r = 0; r < R; r++) {
    memory.copy(
      out + <usize> r * rowB,
      src + <usize> load<i32>(rows + (<usize> r << 2)) * rowB,
      rowB,
    );
  }
}

/** dst[rows[r], :] += src[r, :] for r < R; repeated rows accumulate. */
export function scatterAddRows(dst: usize, src: usize, rows: usize, R: i32, L: i32): void {
  const rowB = <usize> L << 2;
  for (let r = 0; r < R; r++) {
    const d = dst + <usize> load<i32>(rows + (<usize> r << 2)) * rowB;
    const s = src + <usize> r * rowB;
    let c = 0;
    for (; c + 4 <= L; c += 4) {
      const o = <usize> c << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    }
    for (; c < L; c++) {
      store<f32>(
        d + (<usize> c << 2),
        load<f32>(d + (<usize> c << 2)) + load<f32>(s + (<usize> c << 2)),
      );
    }
  }
}

/** dst[n] = value. */
export function fill(dst: usize, value: f32, n: i32): void {
  if (value == 0) {
    memory.fill(dst, 0, <usize> n << 2);
    return;
  }
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize> i << 2), value);
}

/** out[C×R] = inp[R×C]ᵀ, in 4×4 register blocks (edges scalar). */
export function transpose(out: usize, inp: usize, R: i32, C: i32): void {
  const r4 = R & ~3, c4 = C & ~3;
  const inRow = <usize> C << 2, outRow = <usize> R << 2;
  for (let r = 0; r < r4; r += 4) {
    const s = inp + <usize> r * inRow;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize> c << 2;
      const a0 = v128.load(s + o), a1 = v128.load(s + inRow + o);
      const a2 = v128.load(s + 2 * inRow + o), a3 = v128.load(s + 3 * inRow + o);
      const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
      const d = out + <usize> c * outRow + (<usize> r << 2);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + outRow, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * outRow, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * outRow, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (let c = c4; c < C; c++) {
      for (let t = 0; t < 4; t++) {
        store<f32>(
          out + <usize> c * outRow + (<usize> (r + t) << 2),
          load<f32>(s + <usize> t * inRow + (<usize> c << 2)),
        );
      }
    }
  }
  for (let r = r4; r < R; r++) {
    for (let c = 0; c < C; c++) {
      store<f32>(
        out + <usize> c * outRow + (<usize> r << 2),
        load<f32>(inp + <usize> r * inRow + (<usize> c << 2)),
      );
    }
  }
}
