/** Whether this browser can rank on its own: the kernel needs WebAssembly SIMD (relaxed too) and a shared memory; the checks need crypto.subtle and Cache Storage. */

// Tiny modules that validate only with the feature: i8x16.splat + i8x16.popcnt (SIMD), and
// i8x16.relaxed_swizzle (relaxed SIMD). The same bytes wasm-feature-detect uses, in hex.
const SIMD = "0061736d010000000105016000017b030201000a0a0108004100fd0ffd620b";
const RELAXED_SIMD = "0061736d010000000105016000017b030201000a0f010d004101fd0f4102fd0ffd80020b";

const valid = (hex: string) =>
  WebAssembly.validate(new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16))));

/** Why ranking in this browser is not possible, or null when it is. */
export function browserRankingUnsupported(): string | null {
  if (typeof WebAssembly !== "object") return "this browser has no WebAssembly";
  if (!valid(SIMD)) return "this browser has no WebAssembly SIMD";
  if (!valid(RELAXED_SIMD)) return "this browser has no relaxed WebAssembly SIMD";
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return "this browser cannot share WebAssembly memory";
  }
  // Browsers hide crypto.subtle and Cache Storage outside a secure context.
  const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext !== false;
  if (!secure || !globalThis.crypto?.subtle || !("caches" in globalThis)) {
    return "the page is not in a secure context (https or localhost), so the model cannot be verified and stored";
  }
  return null;
}
