/**
 * A scorer whose model lives in a Web Worker: the kernel's blocking maths runs on another core
 * while the main thread keeps parsing requests and writing answers.
 */
import { errorFromData, internal } from "../errors.ts";
import type { Because, Scored } from "../model/mod.ts";
import type { ModelScorer, ScorerOptions } from "./scorer.ts";
import { buffers, type PackedAnswers, packRequests, unpackAnswers } from "./rank_codec.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

// Distributes WorkerRequest over its members so `id` can be added without losing the op's fields.
type Body<T> = T extends unknown ? Omit<T, "id"> : never;

/** Opens `bytes` in a new worker; the bytes' buffer is transferred, not copied. */
export async function openWorkerScorer(
  bytes: Uint8Array,
  options: ScorerOptions,
): Promise<ModelScorer> {
  const worker = new Worker(new URL("./scorer_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, Pending>();
  let seq = 0;
  let dead: Error | undefined;
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    if (e.data.op === "error") p?.reject(errorFromData(e.data.error));
    else p?.resolve(e.data);
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    dead = internal(`the scorer worker died: ${e.message}`, { cause: e.error });
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };
  const call = (msg: Body<WorkerRequest>, transfer: Transferable[] = []) =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (dead) return reject(dead);
      const id = ++seq;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id } as WorkerRequest, transfer);
    });
  const results = (r: WorkerReply): Scored[][] => (r as { results: Scored[][] }).results;
  // A view on part of a larger buffer must be copied out before its buffer can be handed over.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer as ArrayBuffer
    : bytes.slice().buffer;
  let opened: WorkerReply;
  try {
    opened = await call(
      { op: "open", bytes: own, genres: options.genres, threads: options.threads ?? 1 },
      [own],
    );
  } catch (err) {
    worker.terminate();
    throw err;
  }
  return {
    itemIds: (opened as { itemIds: Int32Array }).itemIds,
    rank: async (requests) => {
      const batch = packRequests(requests);
      const r = await call({ op: "rank", batch }, buffers(batch));
      return unpackAnswers((r as { batch: PackedAnswers }).batch);
    },
    similar: async (movieId, k, opts = {}) =>
      results(await call({ op: "similar", movieId, k, options: opts }))[0],
    explain: async (requests) =>
      ((await call({ op: "explain", requests: [...requests] })) as { results: Because[][][] })
        .results,
    async close() {
      try {
        if (!dead) await call({ op: "close" });
      } finally {
        worker.terminate();
      }
    },
  };
}
