/** The stored data and a production model for a benchmark: the bundled MovieLens set ingested and the default model trained when there are none. */
import type { Config } from "../config.ts";
import { type Context, openContext, reapAbandonedRuns } from "../context.ts";
import { ingestMovieLens } from "../data/ingest_movielens.ts";
import { countInteractions } from "../data/queries.ts";
import { trainAndRegister } from "../model/mod.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";

const BUNDLED = new URL("../../data/ml-latest-small", import.meta.url).pathname;

/** Opens the context, puts data and a production model in place (saying so), runs `fn`, closes. */
export async function withBenchData<T>(
  config: Config,
  say: (line: string) => void,
  fn: (ctx: Context) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(config);
  try {
    if ((await countInteractions(ctx.db)) === 0) {
      say("no data stored: ingesting the bundled MovieLens ml-latest-small…");
      await ingestMovieLens(ctx.db, { path: BUNDLED });
    }
    if (!(await ctx.registry.getAlias(MODEL_NAME, PRODUCTION))) {
      say("no production model: training the default one first…");
      await reapAbandonedRuns(ctx);
      await trainAndRegister(ctx, {});
      await ctx.releaseKernel();
    }
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
