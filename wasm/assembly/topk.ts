// Top-k selection over a score vector, one row or every row of a batch (the heap is in select.ts).
import { selectTop } from "./select";

/**
 * Writes the k best (score desc, index asc) of scores[n] to outIdx[k] (i32) / outScore[k], best
 * first; −∞ scores are never selected. Returns how many were written (≤ k).
 */
export function topK(outIdx: usize, outScore: usize, scores: usize, n: i32, k: i32): i32 {
  return selectTop(outIdx, outScore, scores, 0, n, k);
}

/**
 * Top-k of each row b in r0..r1 of scores[B×N] (changed in place): first the row's exclusions
 * exclude[exOffsets[b] .. exOffsets[b+1]) (i32 item indices, ignored when outside 0..N−1) and, when
 * allow ≠ 0, every item whose allow[b×N + i] (u8) is 0 are set to −∞; then as topK into
 * outIdx/outScore[b×k ..] with the count in counts[b] (i32).
 */
export function topKRows(
  outIdx: usize,
  outScore: usize,
  counts: usize,
  scores: usize,
  exclude: usize,
  exOffsets: usize,
  allow: usize,
  N: i32,
  k: i32,
  r0: i32,
  r1: i32,
): void {
  const rowB = <usize> N << 2;
  for (let b = r0; b < r1; b++) {
    const row = scores + <usize> b * rowB;
    const e1 = load<i32>(exOffsets + (<usize> (b + 1) << 2));
    for (let e = load<i32>(exOffsets + (<usize> b << 2)); e < e1; e++) {
      const i = load<i32>(exclude + (<usize> e << 2));
      if (<u32> i < <u32> N) store<f32>(row + (<usize> i << 2), -Infinity);
    }
    if (allow) {
      const mask = allow + <usize> b * <usize> N;
      for (let i = 0; i < N; i++) {
        if (!load<u8>(mask + <usize> i)) store<f32>(row + (<usize> i << 2), -Infinity);
      }
    }
    const o = <usize> b * <usize> k << 2;
    store<i32>(counts + (<usize> b << 2), topK(outIdx + o, outScore + o, row, N, k));
  }
}
