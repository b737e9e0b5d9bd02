/** Shared by the serving benchmarks: data and a production model in place before measuring. */
import type { Context } from "../context.ts";
import { reapAbandonedRuns } from "../context.ts";
import { ingestMovieLens } from "../data/ingest_movielens.ts";
import { countInteractions } from "../data/queries.ts";
import { trainAndRegister } from "../model/mod.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";

const BUNDLED = new URL("../../data/ml-latest-small", import.meta.url).pathname;

/** Ingests the bundled MovieLens set when nothing is stored, and trains the default model when none is in production. */
export async function ensureBenchData(ctx: Context, say: (line: string) => void): Promise<void> {
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
}
