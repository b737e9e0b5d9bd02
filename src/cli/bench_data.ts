/** Shared by the serving benchmarks: data and a production model in place before measuring. */
import { haveWrk } from "../bench/wrk.ts";
import type { Config } from "../config.ts";
import { type Context, openContext, reapAbandonedRuns } from "../context.ts";
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

/**
 * Opens the context, puts data and a model in place and runs `fn` with a logger (silent with
 * --json). A wrk benchmark (`needsWrk`, the default) says how to install wrk when it is missing,
 * and returns.
 */
export async function withBenchData(
  config: Config,
  json: boolean,
  fn: (ctx: Context, say: (line: string) => void) => Promise<void>,
  options: { needsWrk?: boolean } = {},
): Promise<void> {
  if ((options.needsWrk ?? true) && !(await haveWrk())) {
    console.log(
      "skipped: wrk is not installed; install the Debian package: apt-get install -y wrk",
    );
    return;
  }
  const say = json ? () => {} : (line: string) => console.log(line);
  const ctx = await openContext(config);
  try {
    await ensureBenchData(ctx, say);
    await fn(ctx, say);
  } finally {
    await ctx.close();
  }
}
