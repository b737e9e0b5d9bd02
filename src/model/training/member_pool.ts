/** Runs a member's training in a Worker and relays its logs; the parent awaits the result. */
import { errorFromData, internal, ReelrankError } from "../../errors.ts";
import type { Interactions, Split } from "../../features/split.ts";
import type { NetConfig } from "../network/config.ts";
import type { MemberJobOptions, MemberResult } from "./member.ts";

const WORKER = new URL("./member_worker.ts", import.meta.url);

/**
 * The interactions a split was made from, minus dropped users: re-splitting them gives the same
 * split, which is how a worker rebuilds it without sharing JS objects.
 */
export function splitInteractionsOf(split: Split): Interactions {
  const n = split.users.reduce((a, u) => a + u.trainItems.length + 2, 0);
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const timestamps = new Float64Array(n);
  let k = 0;
  for (const u of split.users) {
    const add = (item: number, ts: number) => {
      users[k] = u.user;
      items[k] = item;
      timestamps[k++] = ts;
    };
    u.trainItems.forEach((item, i) => add(item, u.trainTimestamps[i]));
    add(u.valItem, u.valTimestamp);
    add(u.testItem, u.testTimestamp);
  }
  return { users, items, timestamps };
}

/**
 * Trains member `member` in a fresh worker; epoch logs are awaited in order as they arrive. A
 * failure in the worker rejects with the worker's error (its code and cause kept) as the cause.
 */
export function trainMemberInWorker(
  interactions: Interactions,
  options: MemberJobOptions,
): Promise<MemberResult> {
  const worker = new Worker(WORKER, { type: "module" });
  let chain = Promise.resolve();
  return new Promise<MemberResult>((resolve, reject) => {
    const abort = () => {
      worker.terminate();
      reject(options.signal?.reason ?? new DOMException("aborted", "AbortError"));
    };
    options.signal?.addEventListener("abort", abort, { once: true });
    const finish = () => options.signal?.removeEventListener("abort", abort);
    worker.onmessage = (e) => {
      const msg = e.data;
      if (msg.type === "epoch") chain = chain.then(() => options.onEpoch?.(msg.log));
      else if (msg.type === "step") options.onStep?.(msg.progress);
      else if (msg.type === "done") {
        finish();
        chain.then(() =>
          resolve({
            config: msg.config as NetConfig,
            state: new Map(msg.state),
            bestEpoch: msg.bestEpoch,
          })
        ).catch(reject);
      } else if (msg.type === "error") {
        finish();
        // The worker's error keeps its code (a bad parameter stays INVALID_PARAMETER) and cause.
        const cause = errorFromData(msg.error);
        const message = `training member ${options.member} failed: ${cause.message}`;
        reject(
          cause instanceof ReelrankError
            ? new ReelrankError(cause.code, message, { cause, permanent: cause.permanent })
            : internal(message, { cause }),
        );
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      finish();
      worker.terminate();
      reject(
        internal(`training member ${options.member} crashed: ${e.message}`, { cause: e.error }),
      );
    };
    worker.postMessage({ interactions, p: options.p, member: options.member });
  });
}
