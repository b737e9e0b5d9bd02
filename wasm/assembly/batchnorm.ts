// BatchNorm over the batch axis of X[B×F] with learned gamma/beta and running statistics.
// Reference: Ioffe & Szegedy 2015; backward as in the llm.c layernorm derivation; PyTorch momentum
// convention (running = (1-m)·running + m·batch, unbiased batch variance for the running value).
// Every op takes a feature range f0..f1 so threads can split the features.

/**
 * Training mode, features f0..f1. out[B×F] = gamma·xhat + beta with batch statistics; saves
 * xhat[B×F], mean[F], invStd[F] for the backward and updates runMean[F]/runVar[F] with momentum.
 */
export function batchNormForwardTrain(
  out: usize,
  xhat: usize,
  mean: usize,
  invStd: usize,
  runMean: usize,
  runVar: usize,
  inp: usize,
  gamma: usize,
  beta: usize,
  B: i32,
  F: i32,
  momentum: f32,
  eps: f32,
  f0: i32,
  f1: i32,
): void {
  const rowB = <usize> F << 2;
  const invB: f32 = 1.0 / <f32> B;
  const unbias: f32 = B > 1 ? <f32> B / <f32> (B - 1) : 1;
  const fv = f0 + ((f1 - f0) & ~3);
  // Two passes (mean, then centred squares) for accuracy; rows outer so loads are contiguous.
  const start = <usize> f0 << 2, len = <usize> (f1 - f0) << 2;
  memory.fill(mean + start, 0, len);
  memory.fill(invStd + start, 0, len);
  for (let b = 0; b < B; b++) {
    const r = inp + <usize> b * rowB;
    for (let f = f0; f < fv; f += 4) {
      const o = <usize> f << 2;
      v128.store(mean + o, f32x4.add(v128.load(mean + o), v128.load(r + o)));
    }
    for (let f = fv; f < f1; f++) {
      store<f32>(
        mean + (<usize> f << 2),
        load<f32>(mean + (<usize> f << 2)) + load<f32>(r + (<usize> f << 2)),
      );
    }
  }
  for (let f = f0; f < f1; f++) {
    store<f32>(mean + (<usize> f << 2), load<f32>(mean + (<usize> f << 2)) * invB);
  }
  for (let b = 0; b < B; b++) {
    const r = inp + <usize> b * rowB;
    for (let f = f0; f < fv; f += 4) {
      const o = <usize> f << 2;
      const d = f32x4.sub(v128.load(r + o), v128.load(mean + o));
      v128.store(invStd + o, f32x4.relaxed_madd(d, d, v128.load(invStd + o)));
    }
    for (let f = fv; f < f1; f++) {
      const o = <usize> f << 2;
      const d = load<f32>(r + o) - load<f32>(mean + o);
      store<f32>(invStd + o, load<f32>(invStd + o) + d * d);
    }
  }
  for (let f = f0; f < f1; f++) {
    const o = <usize> f << 2;
    const mu = load<f32>(mean + o);
    const variance = load<f32>(invStd + o) * invB;
    store<f32>(invStd + o, 1.0 / Mathf.sqrt(variance + eps));
    store<f32>(runMean + o, (1 - momentum) * load<f32>(runMean + o) + momentum * mu);
    store<f32>(runVar + o, (1 - momentum) * load<f32>(runVar + o) + momentum * variance * unbias);
  }
  for (let b = 0; b < B; b++) {
    const r = <usize> b * rowB;
    for (let f = f0; f < fv; f += 4) {
      const o = <usize> f << 2;
      const xh = f32x4.mul(
        f32x4.sub(v128.load(inp + r + o), v128.load(mean + o)),
        v128.load(invStd + o),
      );
      v128.store(xhat + r + o, xh);
      v128.store(out + r + o, f32x4.relaxed_madd(xh, v128.load(gamma + o), v128.load(beta + o)));
    }
    for (let f = fv; f < f1; f++) {
      const o = <usize> f << 2;
      const xh = (load<f32>(inp + r + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
      store<f32>(xhat + r + o, xh);
      store<f32>(out + r + o, xh * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/** Inference mode: out[B×F] = gamma·(inp − runMean)/√(runVar+eps) + beta; works for B = 1. */
export function batchNormForwardInfer(
  out: usize,
  inp: usize,
  gamma: usize,
  beta: usize,
  runMean: usize,
  runVar: usize,
  B: i32,
  F: i32,
  eps: f32,
): void {
  const rowB = <usize> F << 2;
  for (let f = 0; f < F; f++) {
    const o = <usize> f << 2;
    const scale = load<f32>(gamma + o) / Mathf.sqrt(load<f32>(runVar + o) + eps);
    const shift = load<f32>(beta + o) - load<f32>(runMean + o) * scale;
    for (let b = 0; b < B; b++) {
      const p = <usize> b * rowB + o;
      store<f32>(out + p, load<f32>(inp + p) * scale + shift);
    }
  }
}

/**
 * Features f0..f1: dInp[B×F] = gamma·invStd/B · (B·dOut − Σ_b dOut − xhat·Σ_b dOut·xhat);
 * dGamma[F] = Σ_b dOut·xhat; dBeta[F] = Σ_b dOut. dInp may alias dOut.
 */
export function batchNormBackward(
  dInp: usize,
  dGamma: usize,
  dBeta: usize,
  dOut: usize,
  xhat: usize,
  invStd: usize,
  gamma: usize,
  B: i32,
  F: i32,
  f0: i32,
  f1: i32,
): void {
  const rowB = <usize> F << 2;
  const start = <usize> f0 << 2, len = <usize> (f1 - f0) << 2;
  memory.fill(dGamma + start, 0, len);
  memory.fill(dBeta + start, 0, len);
  const fv = f0 + ((f1 - f0) & ~3);
  for (let b = 0; b < B; b++) {
    const r = <usize> b * rowB;
    for (let f = f0; f < fv; f += 4) {
      const o = <usize> f << 2;
      const dy = v128.load(dOut + r + o);
      v128.store(dBeta + o, f32x4.add(v128.load(dBeta + o), dy));
      v128.store(
        dGamma + o,
        f32x4.relaxed_madd(dy, v128.load(xhat + r + o), v128.load(dGamma + o)),
      );
    }
    for (let f = fv; f < f1; f++) {
      const o = <usize> f << 2;
      const dy = load<f32>(dOut + r + o);
      store<f32>(dBeta + o, load<f32>(dBeta + o) + dy);
      store<f32>(dGamma + o, load<f32>(dGamma + o) + dy * load<f32>(xhat + r + o));
    }
  }
  const invB: f32 = 1.0 / <f32> B;
  const vinvB = f32x4.splat(invB);
  for (let b = 0; b < B; b++) {
    const r = <usize> b * rowB;
    for (let f = f0; f < fv; f += 4) {
      const o = <usize> f << 2;
      const k = f32x4.mul(v128.load(gamma + o), v128.load(invStd + o));
      const t = f32x4.mul(
        f32x4.relaxed_madd(v128.load(xhat + r + o), v128.load(dGamma + o), v128.load(dBeta + o)),
        vinvB,
      );
      v128.store(dInp + r + o, f32x4.mul(k, f32x4.sub(v128.load(dOut + r + o), t)));
    }
    for (let f = fv; f < f1; f++) {
      const o = <usize> f << 2;
      const k = load<f32>(gamma + o) * load<f32>(invStd + o);
      const v = load<f32>(dOut + r + o) -
        (load<f32>(dBeta + o) + load<f32>(xhat + r + o) * load<f32>(dGamma + o)) * invB;
      store<f32>(dInp + r + o, k * v);
    }
  }
}
