// Adam with bias correction and optional decoupled weight decay (Kingma & Ba 2015; AdamW,
// Loshchilov & Hutter 2019), dense and lazy (touched rows only, as TF LazyAdam) variants.

// One element range [p, p+n) with precomputed bias corrections.
function adamRange(
  param: usize,
  grad: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  wd: f32,
  c1: f32,
  c2: f32,
): void {
  const b1 = f32x4.splat(beta1), b1c = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), b2c = f32x4.splat(1 - beta2);
  const ic1 = f32x4.splat(1 / c1), ic2 = f32x4.splat(1 / c2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), vdecay = f32x4.splat(1 - lr * wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize> i << 2;
    const g = v128.load(grad + o);
    const mm = f32x4.relaxed_madd(b1, v128.load(m + o), f32x4.mul(b1c, g));
    const vv = f32x4.relaxed_madd(b2, v128.load(v + o), f32x4.mul(b2c, f32x4.mul(g, g)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ic2)), veps);
    const upd = f32x4.div(f32x4.mul(mm, ic1), den);
    v128.store(param + o, f32x4.relaxed_nmadd(vlr, upd, f32x4.mul(v128.load(param + o), vdecay)));
  }
  for (; i < n; i++) {
    const o = <usize> i << 2;
    const g = load<f32>(grad + o);
    const mm = beta1 * load<f32>(m + o) + (1 - beta1) * g;
    const vv = beta2 * load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const upd = (mm / c1) / (Mathf.sqrt(vv / c2) + eps);
    store<f32>(param + o, load<f32>(param + o) * (1 - lr * wd) - lr * upd);
  }
}

/**
 * param[n] −= lr·(m̂/(√v̂+eps)) and param ·= (1 − lr·wd), updating m[n], v[n] from grad[n], for
 * elements i0..i1 of n; step is the 1-based update count used for bias correction.
 */
export function adamStep(
  param: usize,
  grad: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  step: i32,
  i0: i32,
  i1: i32,
): void {
  const c1 = <f32> (1 - Math.pow(beta1, step));
  const c2 = <f32> (1 - Math.pow(beta2, step));
  const o = <usize> i0 << 2;
  adamRange(
    param + o,
    grad + o,
    m + o,
    v + o,
    min(i1, n) - i0,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    c1,
    c2,
  );
}

/**
 * Lazy Adam over the rows listed in rows[count] (i32, distinct; entries r0..r1 only) of row-major
 * tensors with rowLen floats per row; untouched rows keep their moments. When zeroGrad ≠ 0 the
 * listed grad rows are cleared afterwards so a scatter-accumulated gradient table stays zero elsewhere.
 */
export function adamStepRows(
  param: usize,
  grad: usize,
  m: usize,
  v: usize,
  rows: usize,
  count: i32,
  rowLen: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  step: i32,
  zeroGrad: i32,
  r0: i32,
  r1: i32,
): void {
  const c1 = <f32> (1 - Math.pow(beta1, step));
  const c2 = <f32> (1 - Math.pow(beta2, step));
  const rowB = <usize> rowLen << 2;
  for (let r = r0; r < min(r1, count); r++) {
    const o = <usize> load<i32>(rows + (<usize> r << 2)) * rowB;
    adamRange(
      param + o,
      grad + o,
      m + o,
      v + o,
      rowLen,
      lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      c1,
      c2,
    );
    if (zeroGrad) memory.fill(grad + o, 0, rowB);
  }
}
