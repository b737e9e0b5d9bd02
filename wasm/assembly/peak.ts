// The machine's SIMD ceiling, measured rather than assumed: relaxed fused multiply-adds on
// registers only (no loads or stores), so the figure is what the cores can do for this module.

/**
 * Runs (r1 − r0) · iters rounds of 12 independent 4-lane relaxed FMAs into accumulators (a += x·y, the form
 * V8 lowers to one vfmadd231ps) (12 chains hide the FMA
 * latency on two ports) and returns a value depending on every chain so nothing is optimised
 * away. FLOP = (r1 − r0) · iters · 12 · 4 · 2.
 */
export function peakFma(iters: i32, r0: i32, r1: i32): f32 {
  // Operands from a parameter, not constants: binaryen would inline constants as v128.const at
  // every use, which V8 rematerialises inside the loop.
  const x = f32x4.splat(<f32> 1 / <f32> (iters + 1));
  const y = x;
  let a0 = f32x4.splat(1.0), a1 = f32x4.splat(1.01), a2 = f32x4.splat(1.02);
  let a3 = f32x4.splat(1.03), a4 = f32x4.splat(1.04), a5 = f32x4.splat(1.05);
  let a6 = f32x4.splat(1.06), a7 = f32x4.splat(1.07), a8 = f32x4.splat(1.08);
  let a9 = f32x4.splat(1.09), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.11);
  for (let r = r0; r < r1; r++) {
    for (let i = 0; i < iters; i++) {
      a0 = f32x4.relaxed_madd(x, y, a0);
      a1 = f32x4.relaxed_madd(x, y, a1);
      a2 = f32x4.relaxed_madd(x, y, a2);
      a3 = f32x4.relaxed_madd(x, y, a3);
      a4 = f32x4.relaxed_madd(x, y, a4);
      a5 = f32x4.relaxed_madd(x, y, a5);
      a6 = f32x4.relaxed_madd(x, y, a6);
      a7 = f32x4.relaxed_madd(x, y, a7);
      a8 = f32x4.relaxed_madd(x, y, a8);
      a9 = f32x4.relaxed_madd(x, y, a9);
      a10 = f32x4.relaxed_madd(x, y, a10);
      a11 = f32x4.relaxed_madd(x, y, a11);
    }
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
    f32x4.add(
      f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
      f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
    ),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) +
    f32x4.extract_lane(s, 3);
}
