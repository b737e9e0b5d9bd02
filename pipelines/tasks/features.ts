/** features: the interactions frozen in the object store, split per the protocol, with statistics. */
import type { Context } from "../../src/context.ts";
import { loadInteractions } from "../../src/data/queries.ts";
import { sha256Hex } from "../../src/digest.ts";
import { decodeInteractions, encodeInteractions } from "../../src/features/interaction_file.ts";
import { type Split, splitInteractions } from "../../src/features/split.ts";
import { checkedSplit } from "../../src/model/mod.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import type { ObjectStore } from "../../src/storage/object_store.ts";
import { type ObjectRef, readVerified } from "../../src/storage/verified.ts";
import { type FeaturesResult, resultOf, type SnapshotResult } from "./results.ts";

/** The split of a features object (verified by sha256), as training and evaluation see it. */
export async function readFeatures(objects: ObjectStore, ref: ObjectRef): Promise<Split> {
  const bytes = await readVerified(objects, ref, { what: `features "${ref.key}"` });
  return checkedSplit(splitInteractions(decodeInteractions(bytes)));
}

/**
 * The features task. The object is keyed by the run's key and its content's sha256, so writing it
 * again writes the same bytes under the same key; downstream tasks read the split from it.
 */
export const featuresTask: TaskSpec<Context> = {
  id: "features",
  description: "freeze the interactions, split them (leave the last two out) and count them",
  upstream: ["snapshot"],
  retries: 1,
  timeoutMs: 30 * 60_000,
  async run(ctx, upstream): Promise<FeaturesResult> {
    const { snapshotId } = resultOf<SnapshotResult>(upstream, "snapshot");
    const cols = await loadInteractions(ctx.deps.db);
    const data = { users: cols.user, items: cols.movie, timestamps: cols.ts };
    // Fails here, permanently, when there is too little data to train on.
    const split = checkedSplit(splitInteractions(data));
    const bytes = encodeInteractions(data);
    const sha256 = await sha256Hex(bytes);
    const key = `pipelines/${ctx.dag}/${ctx.key}/features-${sha256.slice(0, 16)}.rrix`;
    const stored = await ctx.deps.objects.head(key);
    if (!stored || stored.size !== bytes.length) await ctx.deps.objects.put(key, bytes);
    const result: FeaturesResult = {
      features: { key, sha256, size: bytes.length },
      snapshotId,
      interactions: cols.length,
      users: split.users.length,
      droppedUsers: split.droppedUsers,
      items: split.universe.size,
    };
    ctx.log.info(
      `${result.interactions} interactions: ${result.users} users kept (${result.droppedUsers} with fewer than 3 dropped), ${result.items} movies in the universe`,
    );
    return result;
  },
};
