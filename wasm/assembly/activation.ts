// Elementwise activations: ReLU and seeded inverted dropout, forward/backward (in place allowed).

/** out[n] = max(inp[n], 0). */
export function reluForward(out: usize, inp: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize> i << 2;
    v128.store(out + o, f32x4.relaxed_max(v128.load(inp + o), zero));
  }
  for (; i < n; i++) store<f32>(out + (<usize> i << 2), max(load<f32>(inp + (<usize> i << 2)), 0));
}

/** dInp[n] = dOut[n] where out[n] > 0 else 0 (out is the forward output). */
export function reluBackward(dInp: usize, dOut: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize> i << 2;
    v128.store(dInp + o, v128.and(v128.load(dOut + o), f32x4.gt(v128.load(out + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize> i << 2;
    store<f32>(dInp + o, load<f32>(out + o) > 0 ? load<f32>(dOut + o) : 0);
  }
}

// Counter-based hash (splitmix32 finaliser) so element i's draw does not depend on thread split.
function hash01(seed: u32, i: u32): f32 {
  let x = seed ^ (i * 0x9e3779b9);
  x ^= x >> 16;
  x *= 0x85ebca6b;
  x ^= x >> 13;
  x *= 0xc2b2ae35;
  x ^= x >> 16;
  return <f32> (x >> 8) * (1.0 / 16777216.0);
}

/**
 * Inverted dropout over n elements: mask[i] = 0 with probability p, else 1/(1-p);
 * out[i] = inp[i] · mask[i]. The draw for element i depends only on (seed, i).
 */
export function dropoutForward(
  out: usize,
  mask: usize,
  inp: usize,
  n: i32,
  p: f32,
  seed: u32,
): void {
  const keep: f32 = 1.0 / (1.0 - p);
  for (let i = 0; i < n; i++) {
    const o = <usize> i << 2;
    const m: f32 = hash01(seed, <u32> i) < p ? 0 : keep;
    store<f32>(mask + o, m);
    store<f32>(out + o, load<f32>(inp + o) * m);
  }
}

/** dInp[n] = dOut[n] · mask[n]. */
export function dropoutBackward(dInp: usize, dOut: usize, mask: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize> i << 2;
    v128.store(dInp + o, f32x4.mul(v128.load(dOut + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize> i << 2;
    store<f32>(dInp + o, load<f32>(dOut + o) * load<f32>(mask + o));
  }
}
