/**
 * `deno task start`: the whole loop on the embedded defaults — ingest the bundled MovieLens data
 * when the database is empty, train, evaluate, register with the promotion gate, then show the
 * metrics next to the popularity baseline and a few users' recommendations.
 */
import type { Config } from "../config.ts";
import { type Context, openContext, reapAbandonedRuns } from "../context.ts";
import { ingestMovieLens } from "../data/ingest_movielens.ts";
import { formatReport } from "../data/ingest_report.ts";
import { countInteractions, firstUserIds, getMovies, getUserHistory } from "../data/queries.ts";
import { trainAndRegister } from "../model/mod.ts";
import { loadModel } from "../serving/current_model.ts";
import { createSnapshot } from "../snapshot/create.ts";
import { parseFlags, runCli, UsageError } from "./args.ts";
import { gitCommit, latestSnapshotId } from "./lineage.ts";
import { formatEpoch, formatEvaluation, formatMovies } from "./report.ts";
import { TRAIN_FLAGS, trainParamsFromFlags } from "./train.ts";

const HELP = `
deno task start — run reelrank's whole loop on this machine:
  1. ingest the bundled MovieLens data (data/ml-latest-small) if the database is empty, and snapshot it
  2. train the recommender, tracked as a run (early stopping on validation NDCG@10)
  3. evaluate it and the popularity baseline with the same protocol
  4. register the model version; promote it only if it beats production on validation NDCG@10
  5. print the metrics and a few users' recommendations

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

async function showRecommendations(ctx: Context, users: number[]): Promise<void> {
  const { model, version } = await loadModel(ctx);
  console.log(`\nRecommendations from production model version ${version.version}:`);
  for (const user of users) {
    const history = await getUserHistory(ctx.db, user);
    const recent = await getMovies(ctx.db, history.slice(-3).reverse());
    const recs = model.recommend(history, 5);
    const movies = await getMovies(ctx.db, recs.map((r) => r.movieId));
    console.log(
      `\nuser ${user} — ${history.length} watched, lately: ${
        recent.map((m) => m.title).join("; ")
      }`,
    );
    console.log(formatMovies(movies));
  }
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, TRAIN_FLAGS);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const params = trainParamsFromFlags(values);
  const ctx = await openContext(config);
  try {
    await ensureData(ctx);
    const reaped = await reapAbandonedRuns(ctx);
    if (reaped.length) console.log(`marked ${reaped.length} abandoned run(s) as failed`);
    console.log("\ntraining…");
    const result = await trainAndRegister(ctx, {
      params,
      snapshotId: await latestSnapshotId(ctx.db),
      codeVersion: await gitCommit(),
      onEpoch: config.ci ? undefined : (e) => console.log("  " + formatEpoch(e)),
      exitOnSignal: true,
    });
    console.log(
      `\nrun ${result.runId}: ${result.users} users, ${result.items} movies, best epochs ${
        result.bestEpochs.join(", ")
      }, ` +
        `trained in ${result.trainSeconds.toFixed(1)} s\n`,
    );
    console.log(formatEvaluation([
      { name: "reelrank MLP", evaluation: result.model },
      { name: "popularity", evaluation: result.popularity },
    ]));
    console.log(`\nmodel version ${result.version}: ${result.decision.reason}`);
    await showRecommendations(ctx, await firstUserIds(ctx.db, { limit: 3 }));
    console.log(
      "\nNext: `deno task recommend --user ID`, `deno task evaluate`, `deno task models list`, `deno task runs list`.",
    );
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
