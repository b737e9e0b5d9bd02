/** The micro-batcher: one request alone when idle, what arrives meanwhile together, errors to their own batch. */
import assert from "node:assert/strict";
import { MicroBatcher } from "../../../src/serving/batcher.ts";

/** A batcher whose flushes start only when the test says so, and whose calls finish on demand. */
function manual(maxBatch = 64) {
  const flushes: (() => void)[] = [];
  const calls: { batch: number[]; finish: (fail?: Error) => void }[] = [];
  const sizes: number[] = [];
  const batcher = new MicroBatcher<number, number>(
    (batch) =>
      new Promise((resolve, reject) => {
        calls.push({
          batch,
          finish: (fail) => (fail ? reject(fail) : resolve(batch.map((x) => x * 10))),
        });
      }),
    { maxBatch, schedule: (fn) => flushes.push(fn), onBatch: (n) => sizes.push(n) },
  );
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { batcher, flushes, calls, sizes, tick };
}

Deno.test("MicroBatcher scores a request that arrives alone in a batch of one", async () => {
  const m = manual();
  const answer = m.batcher.submit(7);
  m.flushes.shift()!();
  m.calls[0].finish();
  assert.equal(await answer, 70);
  assert.deepEqual(m.sizes, [1]);
  assert.equal(m.batcher.pending, 0);
});

Deno.test("MicroBatcher sends what arrived during a batch together in the next call, up to maxBatch", async () => {
  const m = manual(3);
  const first = m.batcher.submit(1);
  m.flushes.shift()!();
  const later = [2, 3, 4, 5].map((x) => m.batcher.submit(x));
  assert.equal(m.flushes.length, 0, "no second flush while one is running");
  m.calls[0].finish();
  assert.equal(await first, 10);
  await m.tick();
  assert.deepEqual(m.calls[1].batch, [2, 3, 4]);
  m.calls[1].finish();
  await m.tick();
  assert.deepEqual(m.calls[2].batch, [5]);
  m.calls[2].finish();
  assert.deepEqual(await Promise.all(later), [20, 30, 40, 50]);
  assert.deepEqual(m.sizes, [1, 3, 1]);
});

Deno.test("MicroBatcher rejects only the requests of a failed batch and drains afterwards", async () => {
  const m = manual();
  const a = m.batcher.submit(1);
  m.flushes.shift()!();
  const b = m.batcher.submit(2);
  const drained = m.batcher.drained();
  m.calls[0].finish(new Error("kernel fault"));
  await assert.rejects(a, /kernel fault/);
  await m.tick();
  m.calls[1].finish();
  assert.equal(await b, 20);
  await drained;
  assert.equal(m.batcher.pending, 0);
});
