/** Plain float64 TypeScript reference of every kernel op (wasm/assembly), written for clarity, not speed. */
// Shapes are row-major; W is IN×OUT as in the kernel, OUT×IN for the *Rows ops (item tables).
// References: llm.c (dense, softmax CE), Ioffe & Szegedy 2015 (BatchNorm), Kingma & Ba 2015 /
// Loshchilov & Hutter 2019 (Adam, AdamW).

type Vec = ArrayLike<number>;

/** y[B×OUT] = x[B×IN]·W[IN×OUT] + b[OUT]. */
export function denseForward(
  x: Vec,
  W: Vec,
  b: Vec | null,
  B: number,
  IN: number,
  OUT: number,
): Float64Array {
  const y = new Float64Array(B * OUT);
  for (let i = 0; i < B; i++) {
    for (let o = 0; o < OUT; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < IN; k++) s += x[i * IN + k] * W[k * OUT + o];
      y[i * OUT + o] = s;
    }
  }
  return y;
}

/** dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_b dy. */
export function denseBackward(dy: Vec, x: Vec, W: Vec, B: number, IN: number, OUT: number) {
  const dx = new Float64Array(B * IN), dW = new Float64Array(IN * OUT), db = new Float64Array(OUT);
  for (let i = 0; i < B; i++) {
    for (let o = 0; o < OUT; o++) {
      const g = dy[i * OUT + o];
      db[o] += g;
      for (let k = 0; k < IN; k++) {
        dx[i * IN + k] += g * W[k * OUT + o];
        dW[k * OUT + o] += x[i * IN + k] * g;
      }
    }
  }
  return { dx, dW, db };
}

/** y[B×OUT] = x[B×IN]·Wᵀ + b[OUT] with W stored OUT×IN (row o is output o's fan-in, an item table). */
export function denseForwardRows(
  x: Vec,
  W: Vec,
  b: Vec | null,
  B: number,
  IN: number,
  OUT: number,
): Float64Array {
  const y = new Float64Array(B * OUT);
  for (let i = 0; i < B; i++) {
    for (let o = 0; o < OUT; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < IN; k++) s += x[i * IN + k] * W[o * IN + k];
      y[i * OUT + o] = s;
    }
  }
  return y;
}

/** Backward of {@link denseForwardRows}: dx = dy·W, dW[OUT×IN] = dyᵀ·x, db = Σ_b dy. */
export function denseBackwardRows(dy: Vec, x: Vec, W: Vec, B: number, IN: number, OUT: number) {
  const dx = new Float64Array(B * IN), dW = new Float64Array(OUT * IN);
  for (let i = 0; i < B; i++) {
    for (let o = 0; o < OUT; o++) {
      const g = dy[i * OUT + o];
      for (let k = 0; k < IN; k++) {
        dx[i * IN + k] += g * W[o * IN + k];
        dW[o * IN + k] += g * x[i * IN + k];
      }
    }
  }
  return { dx, dW, db: denseBackwardBias(dy, B, OUT) };
}

/** The bias gradient of a dense layer: column sums db[OUT] = Σ_b dy[b, :] of dy[B×OUT]. */
export function denseBackwardBias(dy: Vec, B: number, OUT: number): Float64Array {
  const db = new Float64Array(OUT);
  for (let i = 0; i < B; i++) for (let o = 0; o < OUT; o++) db[o] += dy[i * OUT + o];
  return db;
}

/** out[R×L] = src[·×L][rows, :]. */
export function gatherRows(src: Vec, rows: Vec, L: number): Float64Array {
  const out = new Float64Array(rows.length * L);
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < L; c++) out[r * L + c] = src[rows[r] * L + c];
  }
  return out;
}

/** dst[rows[r], :] += src[r, :]; repeated rows accumulate. */
export function scatterAddRows(dst: Vec, src: Vec, rows: Vec, L: number): Float64Array {
  const out = Float64Array.from(dst);
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < L; c++) out[rows[r] * L + c] += src[r * L + c];
  }
  return out;
}

/** max(x, 0). */
export function relu(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => Math.max(v, 0));
}

/** dy where the forward output y > 0. */
export function reluBackward(dy: Vec, y: Vec): Float64Array {
  return Float64Array.from(dy, (g, i) => (y[i] > 0 ? g : 0));
}

/** BatchNorm training forward over the batch axis; running stats use the unbiased variance. */
export function batchNormTrain(
  x: Vec,
  gamma: Vec,
  beta: Vec,
  runMean: Vec,
  runVar: Vec,
  B: number,
  F: number,
  momentum: number,
  eps: number,
) {
  const y = new Float64Array(B * F), xhat = new Float64Array(B * F);
  const mean = new Float64Array(F), invStd = new Float64Array(F);
  const newMean = new Float64Array(F), newVar = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let s = 0;
    for (let b = 0; b < B; b++) s += x[b * F + f];
    const mu = s / B;
    let q = 0;
    for (let b = 0; b < B; b++) q += (x[b * F + f] - mu) ** 2;
    const variance = q / B;
    mean[f] = mu;
    invStd[f] = 1 / Math.sqrt(variance + eps);
    newMean[f] = (1 - momentum) * runMean[f] + momentum * mu;
    newVar[f] = (1 - momentum) * runVar[f] +
      momentum * (B > 1 ? (variance * B) / (B - 1) : variance);
    for (let b = 0; b < B; b++) {
      xhat[b * F + f] = (x[b * F + f] - mu) * invStd[f];
      y[b * F + f] = gamma[f] * xhat[b * F + f] + beta[f];
    }
  }
  return { y, xhat, mean, invStd, runMean: newMean, runVar: newVar };
}

/** BatchNorm inference with running statistics. */
export function batchNormInfer(
  x: Vec,
  gamma: Vec,
  beta: Vec,
  runMean: Vec,
  runVar: Vec,
  B: number,
  F: number,
  eps: number,
) {
  const y = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < F; f++) {
      y[b * F + f] = (gamma[f] * (x[b * F + f] - runMean[f])) / Math.sqrt(runVar[f] + eps) +
        beta[f];
    }
  }
  return y;
}

/** BatchNorm backward: dx, dGamma, dBeta from dy and the saved xhat, invStd. */
export function batchNormBackward(
  dy: Vec,
  xhat: Vec,
  invStd: Vec,
  gamma: Vec,
  B: number,
  F: number,
) {
  const dx = new Float64Array(B * F), dGamma = new Float64Array(F), dBeta = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    for (let b = 0; b < B; b++) {
      dBeta[f] += dy[b * F + f];
      dGamma[f] += dy[b * F + f] * xhat[b * F + f];
    }
    for (let b = 0; b < B; b++) {
      const i = b * F + f;
      dx[i] = (gamma[f] * invStd[f] / B) * (B * dy[i] - dBeta[f] - xhat[i] * dGamma[f]);
    }
  }
  return { dx, dGamma, dBeta };
}

/** Softmax of (logits + corr) per row and the mean cross-entropy against labels. */
export function softmaxCrossEntropy(
  logits: Vec,
  labels: Vec,
  corr: Vec | null,
  B: number,
  C: number,
) {
  const probs = new Float64Array(B * C);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[b * C + c] + (corr ? corr[c] : 0));
    let s = 0;
    for (let c = 0; c < C; c++) {
      probs[b * C + c] = Math.exp(logits[b * C + c] + (corr ? corr[c] : 0) - m);
      s += probs[b * C + c];
    }
    for (let c = 0; c < C; c++) probs[b * C + c] /= s;
    loss -= Math.log(probs[b * C + labels[b]]);
  }
  return { probs, loss: loss / B };
}

/** d(mean CE)/d logits = (probs − onehot) / B. */
export function softmaxCrossEntropyBackward(
  probs: Vec,
  labels: Vec,
  B: number,
  C: number,
): Float64Array {
  const d = Float64Array.from(probs, (p) => p / B);
  for (let b = 0; b < B; b++) d[b * C + labels[b]] -= 1 / B;
  return d;
}

/** Adam hyperparameters plus the 1-based step. */
export interface AdamArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

/** One AdamW update of elements `only` (all when omitted); returns new param, m, v. */
export function adam(p: Vec, g: Vec, m: Vec, v: Vec, a: AdamArgs, only?: number[]) {
  const P = Float64Array.from(p), M = Float64Array.from(m), V = Float64Array.from(v);
  const c1 = 1 - a.beta1 ** a.step, c2 = 1 - a.beta2 ** a.step;
  for (const i of only ?? Array.from(P.keys())) {
    M[i] = a.beta1 * M[i] + (1 - a.beta1) * g[i];
    V[i] = a.beta2 * V[i] + (1 - a.beta2) * g[i] * g[i];
    P[i] = P[i] * (1 - a.lr * a.weightDecay) - a.lr * (M[i] / c1) / (Math.sqrt(V[i] / c2) + a.eps);
  }
  return { p: P, m: M, v: V };
}

/** out[b,:] = bias + Σ values[j]·W[indices[j],:] over row b's CSR entries. */
export function sparseBagForward(
  offsets: Vec,
  indices: Vec,
  values: Vec,
  W: Vec,
  bias: Vec | null,
  B: number,
  OUT: number,
) {
  const out = new Float64Array(B * OUT);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) out[b * OUT + o] = bias ? bias[o] : 0;
    for (let j = offsets[b]; j < offsets[b + 1]; j++) {
      for (let o = 0; o < OUT; o++) out[b * OUT + o] += values[j] * W[indices[j] * OUT + o];
    }
  }
  return out;
}

/** dW (IN×OUT, zero except touched rows) and dBias for the sparse bag. */
export function sparseBagBackward(
  dy: Vec,
  offsets: Vec,
  indices: Vec,
  values: Vec,
  B: number,
  IN: number,
  OUT: number,
) {
  const dW = new Float64Array(IN * OUT), db = new Float64Array(OUT);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) db[o] += dy[b * OUT + o];
    for (let j = offsets[b]; j < offsets[b + 1]; j++) {
      for (let o = 0; o < OUT; o++) dW[indices[j] * OUT + o] += values[j] * dy[b * OUT + o];
    }
  }
  return { dW, db };
}

/** out[K×C] = src[K×N][:, cols]. */
export function gatherColumns(src: Vec, cols: Vec, K: number, N: number): Float64Array {
  const C = cols.length;
  const out = new Float64Array(K * C);
  for (let k = 0; k < K; k++) for (let j = 0; j < C; j++) out[k * C + j] = src[k * N + cols[j]];
  return out;
}

/** dst[K×N][:, cols[j]] += src[K×C][:, j]. */
export function scatterAddColumns(
  dst: Vec,
  src: Vec,
  cols: Vec,
  K: number,
  N: number,
): Float64Array {
  const out = Float64Array.from(dst);
  const C = cols.length;
  for (let k = 0; k < K; k++) for (let j = 0; j < C; j++) out[k * N + cols[j]] += src[k * C + j];
  return out;
}

/** The kernel's counter-based uniform draw for element i (splitmix32 finaliser, 24-bit mantissa). */
export function dropoutDraw(seed: number, i: number): number {
  let x = (seed ^ Math.imul(i, 0x9e3779b9)) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return (x >>> 8) / 16777216;
}

/** Inverted dropout: mask = 0 with probability p else 1/(1−p). */
export function dropout(x: Vec, p: number, seed: number) {
  const mask = Float64Array.from(x, (_, i) => (dropoutDraw(seed, i) < p ? 0 : 1 / (1 - p)));
  return { y: Float64Array.from(x, (v, i) => v * mask[i]), mask };
}

/** Indices of the k largest scores (ties: lower index first), skipping −∞. */
export function topK(scores: Vec, k: number): number[] {
  return Array.from(scores, (s, i) => [s, i] as const)
    .filter(([s]) => s !== -Infinity && !Number.isNaN(s))
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}
