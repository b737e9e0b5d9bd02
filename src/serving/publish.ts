/**
 * The publish step: batch recommendations of the production version for every user, written by
 * the batch step. Servers need nothing more: the alias move that made the version production
 * already reached them (NOTIFY and their poll), and they load it beside the old one.
 */
import type { Context } from "../context.ts";
import { loadInteractions } from "../data/queries.ts";
import { loadAliased } from "../registry/artifacts.ts";
import { MODEL_NAME } from "../registry/store.ts";
import { type BatchResult, writeBatchRecommendations } from "./batch.ts";
import { UserHistories } from "./histories.ts";
import { openLocalScorer } from "./local_scorer.ts";

/**
 * Scores every stored user with the production version (verified by sha256, in a kernel of its
 * own) and replaces that version's batch rows with their top `k`. NOT_FOUND without a production
 * version.
 */
export async function publishBatch(
  ctx: Pick<Context, "db" | "registry" | "config" | "clock">,
  options: { k: number },
): Promise<BatchResult> {
  const { version, bytes } = await loadAliased(ctx.registry, MODEL_NAME);
  const scorer = await openLocalScorer(bytes, { genres: {}, threads: ctx.config.threads });
  try {
    const histories = UserHistories.fromColumns(await loadInteractions(ctx.db));
    return await writeBatchRecommendations(ctx.db, { version, scorer }, {
      histories,
      k: options.k,
      now: ctx.clock(),
    });
  } finally {
    await scorer.close();
  }
}
