/** The kernel ABI table: the built module matches it, and checkAbi names every kind of drift. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { ABI, checkAbi, type OpSignature, positional } from "../../../src/model/kernel/abi.ts";

const WASM = new URL("../../../wasm/build/kernel.wasm", import.meta.url);

// A function whose .length is `n`, standing in for a wasm export with n parameters.
function fn(n: number): () => number {
  const f = () => 0;
  Object.defineProperty(f, "length", { value: n });
  return f;
}

// Fake exports that match the table exactly (a range op takes [lo, hi) as two more parameters).
function matching(): Record<string, unknown> {
  const out: Record<string, unknown> = { memory: {} };
  for (const [name, sig] of Object.entries(ABI as Record<string, OpSignature>)) {
    out[name] = fn(sig.args.length + (sig.over ? 2 : 0));
  }
  return out;
}

function internalNaming(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ReelrankError && err.code === "INTERNAL" && pattern.test(err.message);
}

Deno.test("the built kernel's exports pass checkAbi: every op of the table, with its parameter count", async () => {
  const module = await WebAssembly.compile(await Deno.readFile(WASM));
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  checkAbi(instance.exports);
  const exported = WebAssembly.Module.exports(module).filter((e) => e.kind === "function")
    .map((e) => e.name).sort();
  assert.deepEqual(exported, Object.keys(ABI).sort());
  for (const op of ["denseForwardRows", "denseBackwardBias", "peakFma"]) {
    assert.ok(exported.includes(op), `${op} is exported`);
  }
});

Deno.test("checkAbi accepts fake exports that match the table and ignores non-function exports", () => {
  checkAbi(matching());
});

Deno.test("checkAbi throws INTERNAL naming the op when an export's parameter count differs", () => {
  const exports = matching();
  exports.denseForwardRows = fn(8); // 7 named + [lo, hi) = 9
  assert.throws(
    () => checkAbi(exports),
    internalNaming(/kernel export denseForwardRows takes 8 parameters, abi.ts lists 9/),
  );
  const noRange = matching();
  noRange.fill = fn(5);
  assert.throws(() => checkAbi(noRange), internalNaming(/export fill takes 5 parameters.*lists 3/));
});

Deno.test("checkAbi throws INTERNAL naming an export the table does not list", () => {
  const exports = { ...matching(), denseForwardTiled: fn(9) };
  assert.throws(
    () => checkAbi(exports),
    internalNaming(/kernel export denseForwardTiled is not in src\/model\/kernel\/abi.ts/),
  );
});

Deno.test("checkAbi throws INTERNAL naming an op the table lists but the module lacks", () => {
  const exports = matching();
  delete exports.peakFma;
  assert.throws(
    () => checkAbi(exports),
    internalNaming(/kernel has no export peakFma listed in abi.ts/),
  );
});

Deno.test("positional() orders named arguments as the table does", () => {
  const args = { out: 1, inp: 2, weightRows: 3, bias: 4, B: 5, IN: 6, OUT: 7 };
  assert.deepEqual(positional("denseForwardRows", args), [1, 2, 3, 4, 5, 6, 7]);
  // peakFma's range is `repeats`, which is not itself a parameter.
  assert.deepEqual(positional("peakFma", { iters: 10, repeats: 3 }), [10]);
});

Deno.test("every op of the table is called by the host or run by a test: the kernel exports nothing dead", async () => {
  const root = new URL("../../../", import.meta.url);
  const skip = ["src/model/kernel/abi.ts", "tests/unit/model/abi_test.ts"];
  let text = "";
  const read = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await read(path);
      else if (/\.tsx?$/.test(e.name) && !skip.includes(path)) {
        text += await Deno.readTextFile(new URL(path, root));
      }
    }
  };
  for (const dir of ["src", "web", "tests"]) await read(dir);
  // Ops are run by name ("denseForward") or, for the thread setup, called as functions.
  const unused = (ops: string[]) =>
    ops.filter((op) => !text.includes(`"${op}"`) && !new RegExp(`\\.${op}\\(`).test(text));
  assert.deepEqual(unused(["denseForward", "heapBase", "noSuchKernelOp"]), ["noSuchKernelOp"]);
  assert.deepEqual(unused(Object.keys(ABI)), []);
});
