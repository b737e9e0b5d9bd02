/** Worker entry: holds one model version and answers rank/similar/explain messages (see worker_scorer.ts). */
/// <reference lib="deno.worker" />
import { errorToData } from "../errors.ts";
import { openModel, type RecommenderModel } from "../model/mod.ts";
import { MaskedRanker } from "./local_scorer.ts";
import { buffers, packAnswers, unpackRequests } from "./rank_codec.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

let model: RecommenderModel | undefined;
let ranker: MaskedRanker | undefined;

function reply(msg: WorkerReply, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  try {
    if (msg.op === "open") {
      model = await openModel(new Uint8Array(msg.bytes), { threads: msg.threads });
      ranker = new MaskedRanker(model, msg.genres);
      reply({ id: msg.id, op: "opened", itemIds: model.itemIds });
    } else if (msg.op === "rank") {
      const batch = packAnswers(ranker!.rank(unpackRequests(msg.batch)));
      reply({ id: msg.id, op: "rankedBatch", batch }, buffers(batch));
    } else if (msg.op === "similar") {
      reply({
        id: msg.id,
        op: "ranked",
        results: [ranker!.similar(msg.movieId, msg.k, msg.options)],
      });
    } else if (msg.op === "explain") {
      reply({ id: msg.id, op: "explained", results: model!.explainMany(msg.requests) });
    } else if (msg.op === "close") {
      model?.close();
      model = ranker = undefined;
      reply({ id: msg.id, op: "closed" });
      self.close();
    }
  } catch (err) {
    reply({ id: msg.id, op: "error", error: errorToData(err) });
  }
};
