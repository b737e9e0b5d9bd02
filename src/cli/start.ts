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
import { parseAssignments, resolveParams } from "../pipeline/params.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { RECOMMEND_DAG, recommendDag } from "../../pipelines/recommend_dag.ts";
import { BUNDLED_MOVIELENS } from "../../pipelines/recommend_params.ts";
import { contextDriftCheck, registerSchedules } from "../../pipelines/schedules.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
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

  --retrain             run the pipeline on the stored data even though a production model exists
  --param NAME=VALUE    a parameter of the run of step 1 (first start or --retrain), as in
                        \`deno task pipeline run --param\` (repeatable; \`deno task pipeline
                        --help\` lists them), e.g. path=DIR to ingest another MovieLens folder,
                        families=mlp, epochs=2; scheduled runs keep the defaults
  --port N              port to listen on [PORT or 8000; 0 picks a free one]
  --host H              address to listen on [HOST or 127.0.0.1]

Data lives in REELRANK_DATA_DIR (default ./.reelrank); set DATABASE_URL for PostgreSQL and
OBJECT_STORE_URL (or S3_BUCKET) for S3. Training flags are those of \`deno task train --help\`
(--param takes precedence over them).
`;

/**
 * Runs the pipeline once with per-task progress; a failed run stops `start` with its reason.
 * `params` are the run's parameters from the command line; the source defaults to MovieLens on an
 * empty database and to the stored data otherwise.
 */
async function firstRun(
  ctx: Context,
  engine: PipelineEngine<Context>,
  params: Record<string, string>,
): Promise<void> {
  const empty = (await countInteractions(ctx.db)) === 0;
  // An empty database needs data; a folder named on the command line is ingested either way.
  const source = params.source ?? (empty || params.path ? "movielens" : "none");
  const path = params.path ?? BUNDLED_MOVIELENS;
  const data = source === "none"
    ? "the stored data"
    : source !== "movielens"
    ? `source ${source}`
    : path === BUNDLED_MOVIELENS
    ? "the bundled MovieLens ml-latest-small"
    : `the MovieLens folder ${path}`;
  console.log(
    `${
      empty ? "the database is empty" : "no production model yet"
    }: running the pipeline on ${data}…`,
  );
  const stop = () => void engine.close("stopped by Ctrl-C");
  Deno.addSignalListener("SIGINT", stop);
  try {
    const run = await engine.run(
      {
        dag: RECOMMEND_DAG,
        trigger: "manual",
        params: { ...params, source },
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
    param: { type: "string", multiple: true },
    port: { type: "string" },
    host: { type: "string" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const { param: assignments = [], ...flags } = values;
  trainParamsFromFlags(flags); // bad values are usage errors before anything opens
  const params: Record<string, string> = {};
  for (const name of PARAM_NAMES) {
    const raw = (flags as Record<string, unknown>)[flagOf(name)];
    if (typeof raw === "string") params[flagOf(name)] = raw;
  }
  try {
    Object.assign(params, parseAssignments(assignments));
    resolveParams(recommendDag.params, params);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = intFlag("port", values.port, config.port, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const ctx = await openContext(config);
  try {
    const engine = await startPipelineEngine(ctx);
    const production = await ctx.registry.getAlias(MODEL_NAME, PRODUCTION);
    if (production && !values.retrain) {
      console.log(
        `model: production is version ${production.version}; serving it (--retrain runs the pipeline again${
          assignments.length ? ", with the --param values" : ""
        })`,
      );
    } else await firstRun(ctx, engine, params);
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
      await serveUntilSignal(ctx, { port, host: values.host ?? config.host, engine });
    } finally {
      schedules.abort();
    }
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
