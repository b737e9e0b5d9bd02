/** Worker entry: trains one ensemble member in its own single-threaded kernel (see train.ts). */
/// <reference lib="deno.worker" />
import { errorToData } from "../../errors.ts";
import { type Interactions, splitInteractions } from "../../features/split.ts";
import { Kernel } from "../kernel/kernel.ts";
import type { TrainParams } from "./hyperparams.ts";
import { trainMember } from "./member.ts";

/** What the parent sends. */
export interface MemberJob {
  interactions: Interactions;
  p: TrainParams;
  member: number;
}

self.onmessage = async (e: MessageEvent<MemberJob>) => {
  const { interactions, p, member } = e.data;
  let kernel: Kernel | undefined;
  try {
    kernel = await Kernel.create({ threads: 1 });
    const split = splitInteractions(interactions);
    const result = await trainMember(kernel, split, {
      p,
      member,
      onEpoch: (log) => self.postMessage({ type: "epoch", log }),
      onStep: (progress) => self.postMessage({ type: "step", progress }),
    });
    const state = [...result.state];
    self.postMessage(
      { type: "done", config: result.config, state, bestEpoch: result.bestEpoch },
      state.map(([, t]) => t.buffer as ArrayBuffer),
    );
  } catch (err) {
    self.postMessage({ type: "error", error: errorToData(err) });
  } finally {
    kernel?.close();
    self.close();
  }
};
