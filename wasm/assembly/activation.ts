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
  // Four draws at a time: the same hash as hash01, lane by lane.
  const golden = i32x4.splat(0x9e3779b9);
  const s4 = i32x4.splat(<i32> seed);
  const keep4 = f32x4.splat(keep);
  const p4 = f32x4.splat(p);
  const scale = f32x4.splat(1.0 / 16777216.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let x = v128.xor(s4, i32x4.mul(i32x4(i, i + 1, i + 2, i + 3), golden));
    x = v128.xor(x, i32x4.shr_u(x, 16));
    x = i32x4.mul(x, i32x4.splat(0x85ebca6b));
    x = v128.xor(x, i32x4.shr_u(x, 13));
    x = i32x4.mul(x, i32x4.splat(0xc2b2ae35));
    x = v128.xor(x, i32x4.shr_u(x, 16));
    const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(x, 8)), scale);
    const m = v128.andnot(keep4, f32x4.lt(u, p4));
    const o = <usize> i << 2;
    v128.store(mask + o, m);
    v128.store(out + o, f32x4.mul(v128.load(inp + o), m));
  }
  for (; i < n; i++) {
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
