/** `deno task scheduler`: the controltower role — the pipeline's schedules alone, plus /health and /metrics. */
import { createSchedulerApp } from "../api/scheduler_app.ts";
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { contextDriftCheck, registerSchedules } from "../../pipelines/schedules.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";

const HELP = `
deno task scheduler — the controltower role: runs the pipeline's schedules with Deno.cron and
executes the runs they start (the recommend DAG on REELRANK_DAG_CRON, default "0 3 * * *", UTC).
A tick while a run is active anywhere is skipped: the database admits one active run per DAG.
Drift is checked every hour at half past; with REELRANK_DRIFT_RETRAIN=true, data drift above
REELRANK_DRIFT_THRESHOLD starts a run (trigger drift).

It also answers GET /health and GET /metrics (runs, task attempts and durations, last success)
for Prometheus.

  --port N    port of /health and /metrics [SCHEDULER_PORT or 8001]
  --host H    address to listen on [HOST or 127.0.0.1]

Run it beside \`deno task serve\` on a shared PostgreSQL (DATABASE_URL) and object store; with
PGlite, \`deno task start\` runs the schedules itself.
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    port: { type: "string" },
    host: { type: "string" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = intFlag("port", values.port, config.schedulerPort, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const ctx = await openContext(config);
  try {
    const engine = await startPipelineEngine(ctx);
    const schedules = new AbortController();
    registerSchedules(engine, {
      schedule: config.dagCron,
      signal: schedules.signal,
      driftCheck: contextDriftCheck(ctx),
    });
    const server = Deno.serve(
      { port, hostname: values.host ?? config.host, onListen: () => {} },
      createSchedulerApp({ metrics: ctx.metrics }).fetch,
    );
    console.log(
      `reelrank scheduler: the recommend DAG runs on "${config.dagCron}" (UTC); ` +
        `/health and /metrics on http://${server.addr.hostname}:${server.addr.port}`,
    );
    console.log("Ctrl-C stops it (a run in progress ends failed, saying why).");
    const signal = await new Promise<Deno.Signal>((resolve) => {
      const on = (s: Deno.Signal) => () => resolve(s);
      Deno.addSignalListener("SIGINT", on("SIGINT"));
      Deno.addSignalListener("SIGTERM", on("SIGTERM"));
    });
    schedules.abort();
    await engine.close(`stopped by ${signal}`);
    await server.shutdown();
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
