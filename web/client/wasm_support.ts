/** Whether this browser can rank on its own: the kernel needs WebAssembly SIMD (relaxed too) and a shared memory; the checks need crypto.subtle and Cache Storage. */

// Tiny modules that validate only with the feature: i8x16.splat + i8x16.popcnt (SIMD), and
// i8x16.relaxed_swizzle (relaxed SIMD). The same bytes wasm-feature-detect uses.
const SIMD = [
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
];
const RELAXED_SIMD = [
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  15,
  1,
  13,
  0,
  65,
  1,
  253,
  15,
  65,
  2,
  253,
  15,
  253,
  128,
  2,
  11,
];

/** Why ranking in this browser is not possible, or null when it is. */
export function browserRankingUnsupported(): string | null {
  if (typeof WebAssembly !== "object") return "this browser has no WebAssembly";
  if (!WebAssembly.validate(new Uint8Array(SIMD))) return "this browser has no WebAssembly SIMD";
  if (!WebAssembly.validate(new Uint8Array(RELAXED_SIMD))) {
    return "this browser has no relaxed WebAssembly SIMD";
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return "this browser cannot share WebAssembly memory";
  }
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle || !("caches" in globalThis)) {
    return "the page is not in a secure context (https or localhost), so the model cannot be verified and stored";
  }
  return null;
}
