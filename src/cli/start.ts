/**
 * `deno task start`: the whole loop on the embedded defaults — on first start, one run of the
 * recommend pipeline (ingest the bundled MovieLens data, snapshot, train, evaluate, register,
 * promote, publish), then the API and site served until Ctrl-C, with the pipeline's schedule
 * running in the same process.
 */
import type { Config } from "../config.ts";
import { type Context, openContext } from "../context.ts";
import { ReelrankError } from "../errors.ts";
import { countInteractions } from "../data/queries.ts";
import { flagOf, PARAM_NAMES } from "../model/mod.ts";
import type { PipelineEngine } from "../pipeline/engine.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { RECOMMEND_DAG } from "../../pipelines/recommend_dag.ts";
import { contextDriftCheck, registerSchedules } from "../../pipelines/schedules.ts";
import { parseFlags, runCli, UsageError } from "./args.ts";
import { formatRunSummary, progressPrinter } from "./pipeline_progress.ts";
import { serveUntilSignal } from "./serving.ts";
import { TRAIN_FLAGS, trainParamsFromFlags } from "./train.ts";

const HELP = `
deno task start — run reelrank's whole loop on this machine:
  1. when there is no production model yet (first start), run the recommend pipeline once, printing
     each task: ingest the bundled MovieLens data (data/ml-latest-small) if the database is empty,
     snapshot it, split it, train the recommender (early stopping on validation NDCG@10), evaluate
     it and the popularity baseline, register the version, promote it through the gate (only if
     it beats production on validation NDCG@10), publish batch recommendations for every user
  2. serve the site and the REST API on PORT (default 8000) until Ctrl-C: /, /docs, /api/v1,
     /metrics; the pipeline also runs on its schedule (REELRANK_DAG_CRON, default daily at 03:00
     UTC) in this process, drift is checked hourly, and \`deno task pipeline run\` starts a run
     here through the API

  --retrain   run the pipeline on the stored data even though a production model exists

Data lives in REELRANK_DATA_DIR (default ./.reelrank); set DATABASE_URL for PostgreSQL and
OBJECT_STORE_URL (or S3_BUCKET) for S3. Training flags are those of \`deno task train --help\`.
`;

/** Runs the pipeline once with per-task progress; a failed run stops `start` with its reason. */
async function firstRun(
  ctx: Context,
  engine: PipelineEngine<Context>,
  trainFlags: Record<string, string>,
): Promise<void> {
  const empty = (await countInteractions(ctx.db)) === 0;
  console.log(
    empty
      ? "the database is empty: running the pipeline on the bundled MovieLens ml-latest-small…"
      : "no production model yet: running the pipeline on the stored data…",
  );
  const stop = () => void engine.close("stopped by Ctrl-C");
  Deno.addSignalListener("SIGINT", stop);
  try {
    const run = await engine.run(
      {
        dag: RECOMMEND_DAG,
        trigger: "manual",
        params: { ...trainFlags, source: empty ? "movielens" : "none" },
      },
      progressPrinter({ quiet: ctx.config.ci }),
    );
    console.log(`\n${formatRunSummary(run, await engine.listAttempts(run.id))}`);
    if (run.status !== "success") {
      throw new ReelrankError(
        "INTERNAL",
        `the pipeline run ${run.id} failed: ${run.statusReason}; see \`deno task pipeline show ${run.id}\``,
      );
    }
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    ...TRAIN_FLAGS,
    retrain: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  trainParamsFromFlags(values); // bad values are usage errors before anything opens
  const trainFlags: Record<string, string> = {};
  for (const name of PARAM_NAMES) {
    const raw = (values as Record<string, unknown>)[flagOf(name)];
    if (typeof raw === "string") trainFlags[flagOf(name)] = raw;
  }
  const ctx = await openContext(config);
  try {
    const engine = await startPipelineEngine(ctx);
    const production = await ctx.registry.getAlias(MODEL_NAME, PRODUCTION);
    if (production && !values.retrain) {
      console.log(
        `model: production is version ${production.version}; serving it (--retrain runs the pipeline again)`,
      );
    } else await firstRun(ctx, engine, trainFlags);
    // The training kernel's arena is not needed to serve: the server opens its own per version.
    await ctx.releaseKernel();
    const schedules = new AbortController();
    registerSchedules(engine, {
      schedule: config.dagCron,
      signal: schedules.signal,
      driftCheck: contextDriftCheck(ctx),
    });
    console.log(`pipeline: the recommend DAG runs on "${config.dagCron}" (UTC) in this process`);
    try {
      await serveUntilSignal(ctx, { port: config.port, host: config.host, engine });
    } finally {
      schedules.abort();
    }
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
