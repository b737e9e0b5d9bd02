/** The in-browser feature check: its probe modules validate exactly when the feature is there, and it names what is missing. */
import assert from "node:assert/strict";
import { browserRankingUnsupported } from "../../../web/client/wasm_support.ts";

Deno.test("browserRankingUnsupported() finds everything the kernel needs in Deno's V8, and names SIMD when validation fails", () => {
  assert.equal(browserRankingUnsupported(), null);
  const validate = WebAssembly.validate;
  const seen: number[][] = [];
  try {
    WebAssembly.validate = (bytes) => {
      seen.push([...new Uint8Array(bytes as ArrayBuffer)]);
      return false;
    };
    assert.equal(browserRankingUnsupported(), "this browser has no WebAssembly SIMD");
  } finally {
    WebAssembly.validate = validate;
  }
  // The probe is a real module using a SIMD instruction (0xfd prefix): without it, it is invalid.
  const probe = new Uint8Array(seen[0]);
  assert.ok(WebAssembly.validate(probe));
  const i = probe.indexOf(0xfd);
  assert.ok(i > 0);
  const broken = probe.slice();
  broken[i] = 0xff;
  assert.equal(WebAssembly.validate(broken), false);
});
