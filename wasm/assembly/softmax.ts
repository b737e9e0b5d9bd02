// Fused, numerically stable softmax + cross-entropy (mean over the batch) with an optional additive
// per-column logit correction (sampled-softmax logQ correction, Bengio & Senécal 2008).

// e^x = 2^n · 2^f with n = round(x·log2 e), |f| ≤ 1/2; 2^f by its degree-6 Taylor
// polynomial (rel. err < 2e-7). x is clamped to ≥ −87 so 2^n stays a normal float.
function expv(x: v128): v128 {
  // Relaxed max/trunc map to single x86 instructions; inputs here are never NaN.
  const t = f32x4.mul(f32x4.relaxed_max(x, f32x4.splat(-87.0)), f32x4.splat(1.44269504089));
  const n = f32x4.nearest(t);
  const f = f32x4.sub(t, n);
  let p = f32x4.splat(1.5403530393e-4);
  p = f32x4.relaxed_madd(p, f, f32x4.splat(1.3333558146e-3));
  p = f32x4.relaxed_madd(p, f, f32x4.splat(9.6181291076e-3));
  p = f32x4.relaxed_madd(p, f, f32x4.splat(5.5504108665e-2));
  p = f32x4.relaxed_madd(p, f, f32x4.splat(2.4022650696e-1));
  p = f32x4.relaxed_madd(p, f, f32x4.splat(6.9314718056e-1));
  p = f32x4.relaxed_madd(p, f, f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.relaxed_trunc_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

function hmax(v: v128): f32 {
  return max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * probs[B×C] = softmax(logits[B×C] + corr[C]) for rows r0..r1 (corr = 0: no correction);
 * labels[B] (i32) index the target column. Returns Σ_{b in r0..r1} −log probs[b, label_b] / B, so
 * the parts of a row split add up to the mean loss. probs may alias logits.
 */
export function softmaxCrossEntropyForward(
  probs: usize,
  logits: usize,
  labels: usize,
  corr: usize,
  B: i32,
  C: i32,
  r0: i32,
  r1: i32,
): f32 {
  const rowB = <usize> C << 2;
  const c4 = C & ~3;
  let total: f32 = 0;
  for (let b = r0; b < r1; b++) {
    const z = logits + <usize> b * rowB;
    const p = probs + <usize> b * rowB;
    let mv = f32x4.splat(-Infinity);
    let m: f32 = -Infinity;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize> c << 2;
      let v = v128.load(z + o);
      if (corr) v = f32x4.add(v, v128.load(corr + o));
      v128.store(p + o, v);
      mv = f32x4.relaxed_max(mv, v);
    }
    for (let c = c4; c < C; c++) {
      const o = <usize> c << 2;
      let v = load<f32>(z + o);
      if (corr) v += load<f32>(corr + o);
      store<f32>(p + o, v);
      m = max(m, v);
    }
    m = max(m, hmax(mv));
    const label = load<i32>(labels + (<usize> b << 2));
    const target = load<f32>(p + (<usize> label << 2)) - m;
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (let c = 0; c < c4; c += 4) {
      const o = <usize> c << 2;
      const e = expv(f32x4.sub(v128.load(p + o), ms));
      v128.store(p + o, e);
      sv = f32x4.add(sv, e);
    }
    let s: f32 = 0;
    for (let c = c4; c < C; c++) {
      const o = <usize> c << 2;
      const e = Mathf.exp(load<f32>(p + o) - m);
      store<f32>(p + o, e);
      s += e;
    }
    s += hsum(sv);
    const inv = f32x4.splat(1.0 / s);
    for (let c = 0; c < c4; c += 4) {
      const o = <usize> c << 2;
      v128.store(p + o, f32x4.mul(v128.load(p + o), inv));
    }
    for (let c = c4; c < C; c++) {
      store<f32>(p + (<usize> c << 2), load<f32>(p + (<usize> c << 2)) / s);
    }
    total += Mathf.log(s) - target;
  }
  return total / <f32> B;
}

/** dLogits[B×C] = (probs − onehot(labels)) / B for rows r0..r1; dLogits may alias probs. */
export function softmaxCrossEntropyBackward(
  dLogits: usize,
  probs: usize,
  labels: usize,
  B: i32,
  C: i32,
  r0: i32,
  r1: i32,
): void {
  const rowB = <usize> C << 2;
  const invB: f32 = 1.0 / <f32> B;
  const iv = f32x4.splat(invB);
  const c4 = C & ~3;
  for (let b = r0; b < r1; b++) {
    const p = probs + <usize> b * rowB;
    const d = dLogits + <usize> b * rowB;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize> c << 2;
      v128.store(d + o, f32x4.mul(v128.load(p + o), iv));
    }
    for (let c = c4; c < C; c++) {
      store<f32>(d + (<usize> c << 2), load<f32>(p + (<usize> c << 2)) * invB);
    }
    const lo = d + (<usize> load<i32>(labels + (<usize> b << 2)) << 2);
    store<f32>(lo, load<f32>(lo) - invB);
  }
}
