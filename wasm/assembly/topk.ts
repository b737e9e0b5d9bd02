// Top-k selection over a score vector with a size-k min-heap (O(n log k)); ties prefer the lower index.

// True when (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index.
function below(sa: f32, ia: i32, sb: f32, ib: i32): bool {
  return sa < sb || (sa == sb && ia > ib);
}

function siftDown(hs: usize, hi: usize, k: i32, i: i32): void {
  while (true) {
    const l = 2 * i + 1;
    if (l >= k) return;
    let m = l;
    const r = l + 1;
    if (
      r < k &&
      below(
        load<f32>(hs + (<usize> r << 2)),
        load<i32>(hi + (<usize> r << 2)),
        load<f32>(hs + (<usize> l << 2)),
        load<i32>(hi + (<usize> l << 2)),
      )
    ) m = r;
    const si = load<f32>(hs + (<usize> i << 2)), ii = load<i32>(hi + (<usize> i << 2));
    const sm = load<f32>(hs + (<usize> m << 2)), im = load<i32>(hi + (<usize> m << 2));
    if (!below(sm, im, si, ii)) return;
    store<f32>(hs + (<usize> i << 2), sm);
    store<i32>(hi + (<usize> i << 2), im);
    store<f32>(hs + (<usize> m << 2), si);
    store<i32>(hi + (<usize> m << 2), ii);
    i = m;
  }
}

/**
 * Writes the k best (score desc, index asc) of scores[n] to outIdx[k] (i32) / outScore[k], best
 * first; −∞ scores are never selected. Returns how many were written (≤ k).
 */
export function topK(outIdx: usize, outScore: usize, scores: usize, n: i32, k: i32): i32 {
  return selectTop(outIdx, outScore, scores, 0, n, k);
}

// The item id of entry i: ids[i] when an id list is given, else i itself.

function idOf(ids: usize, i: i32): i32 {
  return ids ? load<i32>(ids + (<usize> i << 2)) : i;
}

/**
 * topK over entries whose ids are ids[i] (i32; 0 = the positions): ties prefer the lower id and
 * outIdx receives ids. Used by scoreTopQ8 to rank rescored candidates.
 */
export function selectTop(
  outIdx: usize,
  outScore: usize,
  scores: usize,
  ids: usize,
  n: i32,
  k: i32,
): i32 {
  let size = 0;
  let i = 0;
  for (; i < n; i++) {
    if (size == k) break;
    const s = load<f32>(scores + (<usize> i << 2));
    if (s == -Infinity || s != s) continue;
    // Sift up a new leaf.
    const id = idOf(ids, i);
    let j = size++;
    while (j > 0) {
      const p = (j - 1) >> 1;
      const sp = load<f32>(outScore + (<usize> p << 2)), ip = load<i32>(outIdx + (<usize> p << 2));
      if (!below(s, id, sp, ip)) break;
      store<f32>(outScore + (<usize> j << 2), sp);
      store<i32>(outIdx + (<usize> j << 2), ip);
      j = p;
    }
    store<f32>(outScore + (<usize> j << 2), s);
    store<i32>(outIdx + (<usize> j << 2), id);
  }
  // The heap is full: only a score ≥ its minimum can enter, so skip 4 at a time below it.
  while (i < n) {
    if (i + 4 <= n) {
      const t = f32x4.splat(load<f32>(outScore));
      if (!v128.any_true(f32x4.ge(v128.load(scores + (<usize> i << 2)), t))) {
        i += 4;
        continue;
      }
    }
    const end = min(i + 4, n);
    for (; i < end; i++) {
      const s = load<f32>(scores + (<usize> i << 2));
      if (s == -Infinity || s != s) continue;
      const id = idOf(ids, i);
      if (below(load<f32>(outScore), load<i32>(outIdx), s, id)) {
        store<f32>(outScore, s);
        store<i32>(outIdx, id);
        siftDown(outScore, outIdx, k, 0);
      }
    }
  }
  // Heap sort in place: repeatedly move the worst to the end, giving best-first order.
  for (let end = size - 1; end > 0; end--) {
    const s0 = load<f32>(outScore), i0 = load<i32>(outIdx);
    store<f32>(outScore, load<f32>(outScore + (<usize> end << 2)));
    store<i32>(outIdx, load<i32>(outIdx + (<usize> end << 2)));
    store<f32>(outScore + (<usize> end << 2), s0);
    store<i32>(outIdx + (<usize> end << 2), i0);
    siftDown(outScore, outIdx, end, 0);
  }
  return size;
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
