/** Worker entry: trains one ensemble member in its own single-threaded kernel (see train.ts). */
/// <reference lib="deno.worker" />
import { type Interactions, splitInteractions } from "../features/split.ts";
import { Kernel } from "./kernel.ts";
import type { TrainParams } from "./train.ts";
import { trainMember } from "./train_member.ts";

/** What the parent sends. */
export interface MemberJob {
  interactions: Interactions;
  p: TrainParams;
  member: number;
}

self.onmessage = async (e: MessageEvent<MemberJob>) => {
  const { interactions, p, member } = e.data;
  const kernel = await Kernel.create({ threads: 1 });
  try {
    const split = splitInteractions(interactions);
    const result = await trainMember(kernel, split, {
      p,
      member,
      onEpoch: (log) => self.postMessage({ type: "epoch", log }),
    });
    const state = [...result.state];
    self.postMessage(
      { type: "done", config: result.config, state, bestEpoch: result.bestEpoch },
      state.map(([, t]) => t.buffer as ArrayBuffer),
    );
  } catch (err) {
    self.postMessage({ type: "error", message: (err as Error)?.message ?? String(err) });
  } finally {
    kernel.close();
    self.close();
  }
};
