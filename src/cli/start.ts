/**
 * `deno task start`: the whole loop on the embedded defaults — ingest the bundled MovieLens data
 * when the database is empty, train, evaluate and register with the promotion gate when there is
 * no production model yet (or with --retrain), then serve the API until Ctrl-C.
 */
import type { Config } from "../config.ts";
import { type Context, openContext, reapAbandonedRuns } from "../context.ts";
import { ingestMovieLens } from "../data/ingest_movielens.ts";
import { formatReport } from "../data/ingest_report.ts";
import { countInteractions } from "../data/queries.ts";
import { resolveParams, trainAndRegister } from "../model/mod.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { createSnapshot } from "../snapshot/create.ts";
import { parseFlags, runCli, UsageError } from "./args.ts";
import { gitCommit, latestSnapshotId } from "./lineage.ts";
import { formatEvaluation } from "./report.ts";
import { serveUntilSignal } from "./serving.ts";
import { progressReporter, TRAIN_FLAGS, trainParamsFromFlags } from "./train.ts";

const HELP = `
deno task start — run reelrank's whole loop on this machine:
  1. ingest the bundled MovieLens data (data/ml-latest-small) if the database is empty, and snapshot it
  2. train the recommender, tracked as a run (early stopping on validation NDCG@10)
  3. evaluate it and the popularity baseline with the same protocol
  4. register the model version; promote it only if it beats production on validation NDCG@10
  5. serve the REST API on PORT (default 8000) until Ctrl-C: /docs, /api/v1, /metrics

Steps 2-4 run when no production model exists yet, or with --retrain; otherwise start serves the
production model it finds (train a new version any time with \`deno task train\`).

  --retrain   train a new version even though a production model exists

Data lives in REELRANK_DATA_DIR (default ./.reelrank); set DATABASE_URL for PostgreSQL and
OBJECT_STORE_URL (or S3_BUCKET) for S3. Training flags are those of \`deno task train --help\`.
`;

const BUNDLED = new URL("../../data/ml-latest-small", import.meta.url).pathname;

async function ensureData(ctx: Context): Promise<void> {
  const n = await countInteractions(ctx.db);
  if (n > 0) {
    console.log(`data: ${n} interactions already stored (run \`deno task ingest\` to add more)`);
    return;
  }
  console.log("data: the database is empty, ingesting the bundled MovieLens ml-latest-small…");
  const report = await ingestMovieLens(ctx.db, { path: BUNDLED });
  const snap = await createSnapshot(ctx.db, ctx.objects, { ingestRunId: report.runId });
  console.log(formatReport(report, [`snapshot ${snap.id} written to ${ctx.objects.url}`]));
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    ...TRAIN_FLAGS,
    retrain: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const params = trainParamsFromFlags(values);
  const ctx = await openContext(config);
  try {
    await ensureData(ctx);
    const reaped = await reapAbandonedRuns(ctx);
    if (reaped.length) console.log(`marked ${reaped.length} abandoned run(s) as failed`);
    const production = await ctx.registry.getAlias(MODEL_NAME, PRODUCTION);
    if (production && !values.retrain) {
      console.log(
        `model: production is version ${production.version}; serving it (--retrain trains a new one)`,
      );
    } else await train(ctx, params);
    // The training kernel's arena is not needed to serve: the server opens its own per version.
    await ctx.releaseKernel();
    await serveUntilSignal(ctx, { port: config.port, host: config.host });
  } finally {
    await ctx.close();
  }
}

async function train(ctx: Context, params: ReturnType<typeof trainParamsFromFlags>): Promise<void> {
  const config = ctx.config;
  {
    console.log("\ntraining…");
    const resolved = resolveParams(params);
    const progress = progressReporter({
      quiet: config.ci,
      members: resolved.members,
      epochs: resolved.epochs,
    });
    const result = await trainAndRegister(ctx, {
      params,
      snapshotId: await latestSnapshotId(ctx.db),
      codeVersion: await gitCommit(),
      onEpoch: progress.onEpoch,
      onStep: progress.onStep,
      exitOnSignal: true,
    }).finally(progress.finish);
    console.log(
      `\nrun ${result.runId}: ${result.users} users, ${result.items} movies, best epochs ${
        result.bestEpochs.join(", ")
      }, ` +
        `trained in ${result.trainSeconds.toFixed(1)} s\n`,
    );
    console.log(formatEvaluation([
      { name: "reelrank", evaluation: result.model },
      { name: "popularity", evaluation: result.popularity },
    ]));
    console.log(`\nmodel version ${result.version}: ${result.decision.reason}`);
  }
}

if (import.meta.main) await runCli(HELP, main);
