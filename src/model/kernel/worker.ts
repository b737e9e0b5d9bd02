/** Kernel worker: instantiates the wasm on the shared memory and runs chunks of the posted jobs. */
/// <reference lib="deno.worker" />
import { CTRL, runChunks, type WorkerInit } from "./protocol.ts";

self.onmessage = async (event: MessageEvent<WorkerInit>) => {
  const { module, memory, ctrl, scratch, names, spin } = event.data;
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  exports.setScratch(scratch);
  const fns = names.map((n) => exports[n]);
  const i32 = new Int32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const seqAt = (ctrl >> 2) + CTRL.SEQ;
  self.postMessage("ready");
  let seen = 0;
  for (;;) {
    // Spin briefly (jobs come back to back inside a training step), then sleep on the futex.
    let spins = 0;
    while (Atomics.load(i32, seqAt) === seen) {
      if (++spins > spin) Atomics.wait(i32, seqAt, seen);
    }
    seen = Atomics.load(i32, seqAt);
    if (seen < 0) break;
    runChunks({ i32, f64, ctrl }, fns);
  }
  self.close();
};
