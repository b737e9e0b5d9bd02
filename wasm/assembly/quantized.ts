// Serving top-k through an int8 copy of the output table: every item gets an upper bound of its
// score from 8-bit dot products, the best C bounds are rescored exactly in float32, and a row whose
// certificate fails is scored exactly in full — so the answer is always the exact top-k.
// Reference: tests/reference/quantized.ts.
import { rowDot } from "./rowdot";
import { SCRATCH_LIST, scratchPtr } from "./thread";
import { selectTop } from "./select";

// Items per packed block: two groups of four, interleaved per four features (32 bytes per step).
const BLOCK: i32 = 8;
// Bytes after a quantized history row: its step t, Σ|p| and max |u| (f32 each).
const ROW_TAIL: i32 = 16;
// Float-rounding margin of the bound, relative to the magnitudes involved: 2^-14 is over 8× the
// worst float32 error of a 128-term dot product (128 · 2^-24), and every other rounding is smaller.
const SLACK: f32 = 1.0 / 16384.0;

/** Features padded to a multiple of 4 (one dot step). */
export function q8Width(K: i32): i32 {
  return (K + 3) & ~3;
}

/** Items padded to a whole block. */
export function q8Items(V: i32): i32 {
  return (V + BLOCK - 1) & ~(BLOCK - 1);
}

/**
 * Packs table[V×K] (f32, row v = item v) as int8 with one scale per item: q = round(O / s),
 * s = max|O_v| / 127. packed (q8Items(V) × q8Width(K) bytes): block of 8 items, then per 4
 * features 32 bytes — items 0–3 of the block (4 bytes each), then items 4–7. meta (4 × q8Items(V)
 * words): scale (f32), Σ_j q (i32), Σ_j |O_vj| (f32), bias (f32; 0 when bias = 0); padding zero.
 */
export function quantizeTableQ8(
  packed: usize,
  meta: usize,
  table: usize,
  bias: usize,
  V: i32,
  K: i32,
): void {
  const Kp = q8Width(K), Vp = q8Items(V);
  memory.fill(packed, 0, <usize> Vp * <usize> Kp);
  memory.fill(meta, 0, <usize> Vp * 16);
  const mSum = meta + (<usize> Vp << 2), mL1 = meta + (<usize> Vp << 3);
  const mBias = meta + <usize> Vp * 12;
  for (let v = 0; v < V; v++) {
    const row = table + (<usize> v * <usize> K << 2);
    let mx: f32 = 0, l1: f32 = 0;
    for (let j = 0; j < K; j++) {
      const a = Mathf.abs(load<f32>(row + (<usize> j << 2)));
      mx = max(mx, a);
      l1 += a;
    }
    const s: f32 = mx / 127;
    const base = packed + <usize> (v >> 3) * <usize> (BLOCK * Kp) + <usize> ((v & 7) >> 2) * 16 +
      <usize> (v & 3) * 4;
    let sum = 0;
    if (s > 0) {
      for (let j = 0; j < K; j++) {
        const q = <i32> nearest<f32>(load<f32>(row + (<usize> j << 2)) / s);
        const c = min(127, max(-127, q));
        store<i8>(base + <usize> (j >> 2) * 32 + <usize> (j & 3), <i8> c);
        sum += c;
      }
    }
    store<f32>(meta + (<usize> v << 2), s);
    store<i32>(mSum + (<usize> v << 2), sum);
    // Rounding the sum down could only shrink the bound: nudge it up by the same margin.
    store<f32>(mL1 + (<usize> v << 2), l1 * (1 + SLACK));
    store<f32>(mBias + (<usize> v << 2), bias ? load<f32>(bias + (<usize> v << 2)) : 0);
  }
}

// Quantizes u[K] to 7-bit offsets b = p + 64 (p = round(u / t) in −63..63, t = max|u| / 63), and
// writes t, Σ|p|, max|u| after the Kp bytes. Returns false when u is not finite.
function quantizeRow(q: usize, u: usize, K: i32, Kp: i32): bool {
  let mx: f32 = 0;
  for (let j = 0; j < K; j++) mx = max(mx, Mathf.abs(load<f32>(u + (<usize> j << 2))));
  if (!isFinite(mx)) return false;
  const t: f32 = mx / 63;
  let p1 = 0;
  for (let j = 0; j < Kp; j++) {
    let p = 0;
    if (j < K && t > 0) {
      p = min(63, max(-63, <i32> nearest<f32>(load<f32>(u + (<usize> j << 2)) / t)));
    }
    store<u8>(q + <usize> j, <u8> (p + 64));
    p1 += abs(p);
  }
  store<f32>(q + <usize> Kp, t);
  store<f32>(q + <usize> Kp, <f32> p1, 4);
  store<f32>(q + <usize> Kp, mx, 8);
  return true;
}

// Turns row b's integer dot products (bit patterns in scores) into upper bounds of its scores:
// Σ q·p = Σ q·(p + 64) − 64 Σ q, approx = s·t·Σ q·p + bias, and |score − approx| ≤ t/2 · Σ|O_v| +
// s_v/2 · t · Σ|p| (the two quantisation errors), plus a rounding margin.
function boundPass(row: usize, meta: usize, q: usize, V: i32, Kp: i32): void {
  const Vp = q8Items(V);
  const t = load<f32>(q + <usize> Kp), p1 = load<f32>(q + <usize> Kp, 4);
  const mx = load<f32>(q + <usize> Kp, 8);
  const tv = f32x4.splat(t), half = f32x4.splat(t * 0.5), p1v = f32x4.splat(p1);
  const mxv = f32x4.splat(mx), slack = f32x4.splat(SLACK);
  const mSum = meta + (<usize> Vp << 2), mL1 = meta + (<usize> Vp << 3);
  const mBias = meta + <usize> Vp * 12;
  for (let v = 0; v < V; v += 4) {
    const o = <usize> v << 2;
    const s = v128.load(meta + o), l1 = v128.load(mL1 + o), b = v128.load(mBias + o);
    const dot = f32x4.convert_i32x4_s(
      i32x4.sub(v128.load(row + o), i32x4.shl(v128.load(mSum + o), 6)),
    );
    const approx = f32x4.add(f32x4.mul(dot, f32x4.mul(s, tv)), b);
    const ub = f32x4.add(approx, f32x4.mul(half, f32x4.add(l1, f32x4.mul(s, p1v))));
    const mag = f32x4.add(f32x4.add(f32x4.mul(l1, mxv), f32x4.abs(b)), f32x4.abs(approx));
    store4(row, v, V, f32x4.add(ub, f32x4.mul(mag, slack)));
  }
}

// row[v] += add[v] for every item (float32, as the scores get it).
function addRow(row: usize, add: usize, V: i32): void {
  let v = 0;
  for (; v + 4 <= V; v += 4) {
    const o = <usize> v << 2;
    v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(add + o)));
  }
  for (; v < V; v++) {
    const o = <usize> v << 2;
    store<f32>(row + o, load<f32>(row + o) + load<f32>(add + o));
  }
}

function store4(row: usize, v0: i32, V: i32, x: v128): void {
  const at = row + (<usize> v0 << 2);
  if (v0 + 4 <= V) {
    v128.store(at, x);
    return;
  }
  if (v0 < V) store<i32>(at, i32x4.extract_lane(x, 0));
  if (v0 + 1 < V) store<i32>(at, i32x4.extract_lane(x, 1), 4);
  if (v0 + 2 < V) store<i32>(at, i32x4.extract_lane(x, 2), 8);
}

// Bounds for rows r..r+3 (rows past `last` repeat it: computed, never stored) over every item.
function boundRows(
  scores: usize,
  qrows: usize,
  packed: usize,
  _meta: usize,
  r: i32,
  last: i32,
  V: i32,
  Kp: i32,
): void {
  const qB = <usize> (Kp + ROW_TAIL), rowB = <usize> V << 2;
  const rs1 = min(r + 1, last), rs2 = min(r + 2, last), rs3 = min(r + 3, last);
  const q0 = qrows + <usize> r * qB, q1 = qrows + <usize> rs1 * qB;
  const q2 = qrows + <usize> rs2 * qB, q3 = qrows + <usize> rs3 * qB;
  const steps = Kp >> 2;
  for (let v = 0; v < V; v += BLOCK) {
    const blk = packed + <usize> v * <usize> Kp;
    let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a10 = i32x4.splat(0), a11 = i32x4.splat(0);
    let a20 = i32x4.splat(0), a21 = i32x4.splat(0), a30 = i32x4.splat(0), a31 = i32x4.splat(0);
    for (let p = 0; p < steps; p++) {
      const tb = blk + (<usize> p << 5), at = <usize> p << 2;
      const t0 = v128.load(tb), t1 = v128.load(tb, 16);
      let x = v128.load32_splat(q0 + at);
      a00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t0, x, a00);
      a01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t1, x, a01);
      x = v128.load32_splat(q1 + at);
      a10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t0, x, a10);
      a11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t1, x, a11);
      x = v128.load32_splat(q2 + at);
      a20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t0, x, a20);
      a21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t1, x, a21);
      x = v128.load32_splat(q3 + at);
      a30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t0, x, a30);
      a31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(t1, x, a31);
    }
    let row = scores + <usize> r * rowB;
    store4(row, v, V, a00);
    store4(row, v + 4, V, a01);
    if (r + 1 <= last) {
      row += rowB;
      store4(row, v, V, a10);
      store4(row, v + 4, V, a11);
    }
    if (r + 2 <= last) {
      row += rowB;
      store4(row, v, V, a20);
      store4(row, v + 4, V, a21);
    }
    if (r + 3 <= last) {
      row += rowB;
      store4(row, v, V, a30);
      store4(row, v + 4, V, a31);
    }
  }
}

// Bounds for one row over every item (the rows a 4-row tile leaves over).
function boundRow(
  scores: usize,
  qrows: usize,
  packed: usize,
  _meta: usize,
  r: i32,
  V: i32,
  Kp: i32,
): void {
  const q = qrows + <usize> r * <usize> (Kp + ROW_TAIL);
  const row = scores + <usize> r * (<usize> V << 2);
  const steps = Kp >> 2;
  for (let v = 0; v < V; v += BLOCK) {
    const blk = packed + <usize> v * <usize> Kp;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let p = 0;
    // Two chains per group: the dot's latency is longer than its issue rate.
    for (; p + 2 <= steps; p += 2) {
      const tb = blk + (<usize> p << 5), at = <usize> p << 2;
      const x0 = v128.load32_splat(q + at), x1 = v128.load32_splat(q + at, 4);
      a0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb), x0, a0);
      a1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb, 16), x0, a1);
      a2 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb, 32), x1, a2);
      a3 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb, 48), x1, a3);
    }
    if (p < steps) {
      const tb = blk + (<usize> p << 5);
      const x0 = v128.load32_splat(q + (<usize> p << 2));
      a0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb), x0, a0);
      a1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(tb, 16), x0, a1);
    }
    store4(row, v, V, i32x4.add(a0, a2));
    store4(row, v + 4, V, i32x4.add(a1, a3));
  }
}

/**
 * Exact top-k of rows r0..r1 of scores = u[B×K] · tableᵀ + bias (+ addend), as topKRows would give
 * them from full float32 logits computed by rowDot, with addend[b×V + v] then added in float32
 * (ids, scores, counts into outIdx/outScore[b×k..] and counts[b]; exclusions and allow masks as in
 * topKRows; ties by lower index). Each row: int8 upper bounds of every score into scores[b×V..]
 * (scratch), the C best bounds rescored exactly, and when the k-th exact score does not beat the
 * C-th bound, the whole row scored exactly. addend (B×V f32, 0 for none) is any exact per-item term
 * (the transition term): added to the bounds as to the scores, so since float addition is monotone
 * a bound stays at least its score. cand needs 2·C words per row, qrows q8Width(K) + 16 bytes per
 * row. Returns how many rows were scored in full.
 */
export function scoreTopQ8(
  outIdx: usize,
  outScore: usize,
  counts: usize,
  u: usize,
  packed: usize,
  meta: usize,
  table: usize,
  scores: usize,
  cand: usize,
  qrows: usize,
  exclude: usize,
  exOffsets: usize,
  allow: usize,
  addend: usize,
  V: i32,
  K: i32,
  k: i32,
  C: i32,
  r0: i32,
  r1: i32,
): i32 {
  const Kp = q8Width(K), qB = <usize> (Kp + ROW_TAIL), uB = <usize> K << 2;
  for (let b = r0; b < r1; b++) {
    // A row with a non-finite u goes straight to the exact path (t = −1 marks it).
    if (!quantizeRow(qrows + <usize> b * qB, u + <usize> b * uB, K, Kp)) {
      store<f32>(qrows + <usize> b * qB + <usize> Kp, -1);
    }
  }
  let fallbacks = 0;
  // Four rows at a time, bounds then selection, so their bounds are still in L2 when read back.
  for (let r = r0; r < r1; r += 4) {
    const end = min(r + 4, r1);
    if (end - r == 1) boundRow(scores, qrows, packed, meta, r, V, Kp);
    else boundRows(scores, qrows, packed, meta, r, end - 1, V, Kp);
    fallbacks += selectRows(
      outIdx,
      outScore,
      counts,
      u,
      meta,
      table,
      scores,
      cand,
      qrows,
      exclude,
      exOffsets,
      allow,
      addend,
      V,
      K,
      k,
      C,
      r,
      end,
    );
  }
  return fallbacks;
}

// Chunks of items whose maxima give the selection a floor, and most items gathered above it.
const CHUNK: i32 = 16;
const GATHER: i32 = 8;

// The best C bounds of row[V] (ids into ci, bounds into cs, best first; ties by lower id), as
// selectTop over the whole row gives them: the C-th largest of the row's 16-item chunk maxima is a
// floor that at least C items reach, so only items at or above it are gathered and ranked.
function selectCandidates(ci: usize, cs: usize, row: usize, V: i32, C: i32): i32 {
  const chunks = (V + CHUNK - 1) / CHUNK;
  if (chunks < C) return selectTop(ci, cs, row, 0, V, C);
  const maxima = scratchPtr + SCRATCH_LIST;
  const gIds = maxima + (<usize> chunks << 2), gScores = gIds + (<usize> (GATHER * C) << 2);
  const hIdx = gScores + (<usize> (GATHER * C) << 2), hScore = hIdx + (<usize> C << 2);
  // pmax (one maxps) rather than max (NaN-propagating, several instructions): a NaN bound (a NaN
  // weight) is then never a maximum nor gathered, as selectTop never selects one.
  for (let c = 0; c < chunks; c++) {
    const v0 = c * CHUNK, v1 = min(V, v0 + CHUNK);
    let m = f32x4.splat(-Infinity);
    let v = v0;
    for (; v + 4 <= v1; v += 4) m = f32x4.pmax(m, v128.load(row + (<usize> v << 2)));
    m = f32x4.pmax(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
    let mx = f32x4.extract_lane(f32x4.pmax(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
    for (; v < v1; v++) {
      const x = load<f32>(row + (<usize> v << 2));
      if (x > mx) mx = x;
    }
    store<f32>(maxima + (<usize> c << 2), mx);
  }
  if (selectTop(hIdx, hScore, maxima, 0, chunks, C) < C) return selectTop(ci, cs, row, 0, V, C);
  const floor = load<f32>(hScore + (<usize> (C - 1) << 2));
  const fv = f32x4.splat(floor);
  let n = 0;
  for (let v = 0; v < V; v += 4) {
    if (v + 4 <= V && !v128.any_true(f32x4.ge(v128.load(row + (<usize> v << 2)), fv))) continue;
    for (let i = v; i < min(V, v + 4); i++) {
      const x = load<f32>(row + (<usize> i << 2));
      if (!(x >= floor)) continue;
      if (n == GATHER * C) return selectTop(ci, cs, row, 0, V, C);
      store<i32>(gIds + (<usize> n << 2), i);
      store<f32>(gScores + (<usize> n << 2), x);
      n++;
    }
  }
  return selectTop(ci, cs, gScores, gIds, n, C);
}

// Selection, exact rescoring and certificate of rows r0..r1 whose bounds are in scores.
function selectRows(
  outIdx: usize,
  outScore: usize,
  counts: usize,
  u: usize,
  meta: usize,
  table: usize,
  scores: usize,
  cand: usize,
  qrows: usize,
  exclude: usize,
  exOffsets: usize,
  allow: usize,
  addend: usize,
  V: i32,
  K: i32,
  k: i32,
  C: i32,
  r0: i32,
  r1: i32,
): i32 {
  const Kp = q8Width(K), Vp = q8Items(V), qB = <usize> (Kp + ROW_TAIL);
  const rowB = <usize> V << 2, uB = <usize> K << 2, tabB = <usize> K << 2;
  const mBias = meta + <usize> Vp * 12;
  let fallbacks = 0;
  for (let b = r0; b < r1; b++) {
    const row = scores + <usize> b * rowB;
    boundPass(row, meta, qrows + <usize> b * qB, V, Kp);
    const add = addend ? addend + <usize> b * rowB : 0;
    if (add) addRow(row, add, V);
    const e1 = load<i32>(exOffsets + (<usize> (b + 1) << 2));
    for (let e = load<i32>(exOffsets + (<usize> b << 2)); e < e1; e++) {
      const i = load<i32>(exclude + (<usize> e << 2));
      if (<u32> i < <u32> V) store<f32>(row + (<usize> i << 2), -Infinity);
    }
    if (allow) {
      const mask = allow + <usize> b * <usize> V;
      for (let i = 0; i < V; i++) {
        if (!load<u8>(mask + <usize> i)) store<f32>(row + (<usize> i << 2), -Infinity);
      }
    }
    const x = u + <usize> b * uB;
    const oI = outIdx + (<usize> b * <usize> k << 2), oS = outScore + (<usize> b * <usize> k << 2);
    const ci = cand + (<usize> b * <usize> (2 * C) << 2), cs = ci + (<usize> C << 2);
    let exact = load<f32>(qrows + <usize> b * qB + <usize> Kp) < 0 || C < k;
    let m = 0;
    if (!exact) {
      const n = selectCandidates(ci, cs, row, V, C);
      // Bounds of every item outside the candidates are ≤ the weakest candidate's.
      const weakest = n < C ? -Infinity : load<f32>(cs + (<usize> (n - 1) << 2));
      for (let j = 0; j < n; j++) {
        const v = load<i32>(ci + (<usize> j << 2));
        let s = rowDot(x, table + <usize> v * tabB, K) + load<f32>(mBias + (<usize> v << 2));
        if (add) s += load<f32>(add + (<usize> v << 2));
        store<f32>(cs + (<usize> j << 2), s);
      }
      m = selectTop(oI, oS, cs, ci, n, k);
      // Certified: the k-th exact score beats every bound left out (or nothing was left out).
      exact = !(n < C || (m == k && weakest < load<f32>(oS + (<usize> (k - 1) << 2))));
    }
    if (exact) {
      fallbacks++;
      for (let v = 0; v < V; v++) {
        const at = row + (<usize> v << 2);
        if (load<f32>(at) == -Infinity) continue;
        let s = rowDot(x, table + <usize> v * tabB, K) + load<f32>(mBias + (<usize> v << 2));
        if (add) s += load<f32>(add + (<usize> v << 2));
        store<f32>(at, s);
      }
      m = selectTop(oI, oS, row, 0, V, k);
    }
    store<i32>(counts + (<usize> b << 2), m);
  }
  return fallbacks;
}
