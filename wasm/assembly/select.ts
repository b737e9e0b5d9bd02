// Top-k selection over a score vector with a size-k min-heap (O(n log k)); ties prefer the lower
// id. The core that topk.ts and quantized.ts share; not an export of the kernel (topK is).

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

// The item id of entry i: ids[i] when an id list is given, else i itself.
function idOf(ids: usize, i: i32): i32 {
  return ids ? load<i32>(ids + (<usize> i << 2)) : i;
}

/**
 * Writes the k best (score desc, id asc) of scores[n] to outIdx[k] (i32) / outScore[k], best
 * first, where entry i's id is ids[i] (i32; ids = 0: i itself) and outIdx receives ids; −∞ and NaN
 * scores are never selected. Returns how many were written (≤ k). topK is it over positions;
 * scoreTopQ8 ranks its rescored candidates with it.
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
