// One dot product in a fixed order, shared by the serving paths (not an export of the kernel).

/**
 * x[IN] · w[IN] in one fixed order (four 16-wide accumulator chains, then the tail): the serving
 * paths (denseForwardRows below 16 rows, scoreTopQ8's exact rescoring) share it, so their scores
 * agree to the bit.
 */

export function rowDot(x: usize, w: usize, IN: i32): f32 {
  const i16 = IN & ~15;
  const iv = IN & ~3;
  // Four accumulators: one chain would wait on the FMA latency at every step.
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i < i16; i += 16) {
    const at = <usize> i << 2;
    a0 = f32x4.relaxed_madd(v128.load(x + at), v128.load(w + at), a0);
    a1 = f32x4.relaxed_madd(v128.load(x + at, 16), v128.load(w + at, 16), a1);
    a2 = f32x4.relaxed_madd(v128.load(x + at, 32), v128.load(w + at, 32), a2);
    a3 = f32x4.relaxed_madd(v128.load(x + at, 48), v128.load(w + at, 48), a3);
  }
  for (; i < iv; i += 4) {
    a0 = f32x4.relaxed_madd(v128.load(x + (<usize> i << 2)), v128.load(w + (<usize> i << 2)), a0);
  }
  const acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < IN; i++) s += load<f32>(x + (<usize> i << 2)) * load<f32>(w + (<usize> i << 2));
  return s;
}
