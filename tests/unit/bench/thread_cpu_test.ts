/** Per-thread CPU accounting of the serving bench: readings from /proc and µs per request. */
import assert from "node:assert/strict";
import { cpuPerRequest, threadCpu } from "../../../src/bench/thread_cpu.ts";

Deno.test("cpuPerRequest() turns two readings into microseconds per request, by thread kind", () => {
  const r = cpuPerRequest(
    { main: 100, workers: 50, other: 10 },
    { main: 130, workers: 70, other: 15 },
    200,
  );
  assert.deepEqual(r, { main_us: 150, workers_us: 100, other_us: 25 });
  assert.equal(cpuPerRequest(null, { main: 1, workers: 1, other: 1 }, 10), null);
  assert.equal(cpuPerRequest({ main: 1, workers: 1, other: 1 }, null, 10), null);
});

Deno.test("threadCpu() counts this process's main thread and a Web Worker apart", async () => {
  if (Deno.build.os !== "linux") {
    console.log("skipped: /proc is Linux-only");
    return;
  }
  const before = threadCpu()!;
  const worker = new Worker(
    URL.createObjectURL(
      new Blob([
        `self.onmessage = () => { let x = 0;
         for (let i = 0; i < 1e8; i++) x += Math.sqrt(i); self.postMessage(x); };`,
      ], { type: "application/javascript" }),
    ),
    { type: "module" },
  );
  try {
    await new Promise((resolve) => {
      worker.onmessage = resolve;
      worker.postMessage(0);
    });
    const after = threadCpu()!;
    // 10^8 square roots take well over 50 ms of CPU however loaded the machine: the worker's.
    assert.ok(
      after.workers - before.workers >= 50,
      `workers ${after.workers - before.workers} ms`,
    );
    assert.ok(after.main >= before.main);
  } finally {
    worker.terminate();
  }
});
