/** Messages between the main thread and the scorer worker (structured-clone safe; batches as typed arrays). */
import type { ErrorData } from "../errors.ts";
import type { Because, Scored } from "../model/mod.ts";
import type { PackedAnswers, PackedRequests } from "./rank_codec.ts";

/** Main thread → worker. */
export type WorkerRequest =
  | {
    id: number;
    op: "open";
    bytes: ArrayBuffer;
    genres: Record<string, number[]>;
    threads: number;
  }
  | { id: number; op: "rank"; batch: PackedRequests }
  | {
    id: number;
    op: "similar";
    movieId: number;
    k: number;
    options: { genre?: string; exclude?: readonly number[] };
  }
  | {
    id: number;
    op: "explain";
    requests: { history: readonly number[]; targets: readonly number[] }[];
  }
  | { id: number; op: "close" };

/** Worker → main thread; `id` echoes the request's. */
export type WorkerReply =
  | { id: number; op: "opened"; itemIds: Int32Array }
  | { id: number; op: "ranked"; results: Scored[][] }
  | { id: number; op: "rankedBatch"; batch: PackedAnswers }
  | { id: number; op: "explained"; results: Because[][][] }
  | { id: number; op: "closed" }
  | { id: number; op: "error"; error: ErrorData };
