/** Shared by `serve` and `start`: the admin token, the pipeline engine, the server, the printed URLs, and Ctrl-C. */
import { startServer } from "../api/server.ts";
import type { Context } from "../context.ts";
import { configureLogging } from "../log.ts";
import type { PipelineEngine } from "../pipeline/engine.ts";
import { ensureAdminToken } from "../serving/admin_token.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { writeServerAddress } from "./server_file.ts";

/**
 * Serves the API on `ctx` until SIGINT or SIGTERM, then shuts down cleanly. Runs started through
 * the API execute in this process, on `engine` (one is started when none is given).
 */
export async function serveUntilSignal(
  ctx: Context,
  options: { port: number; host: string; engine?: PipelineEngine<Context> },
): Promise<void> {
  const admin = await ensureAdminToken(ctx.config);
  configureLogging({ secrets: [...ctx.config.secrets, admin.token] });
  const engine = options.engine ?? await startPipelineEngine(ctx);
  // The model's products split over the cores (REELRANK_THREADS): measured faster than one
  // thread even with the HTTP loop sharing them (README, serving benchmark).
  const server = await startServer(ctx, {
    port: options.port,
    host: options.host,
    adminToken: admin.token,
    threads: ctx.config.threads,
    metrics: ctx.metrics,
    http: ctx.config.http,
    pipeline: engine,
    impressionBuffer: ctx.config.impressionBuffer,
    reusePort: ctx.config.reusePort,
  });
  const forget = await writeServerAddress(ctx.config.dataDir, server.url);
  const version = server.serving.version();
  console.log(
    `\nreelrank is serving ${
      version === null
        ? `without a model (${server.serving.problem()}; popular movies until one is promoted)`
        : `model version ${version}`
    } on ${server.url}`,
  );
  console.log(`  site       ${server.url}/   (admin pages: ${server.url}/admin)`);
  console.log(`  API docs   ${server.url}/docs   (OpenAPI: ${server.url}/openapi.json)`);
  if (admin.source === "generated") {
    console.log(`  admin token ${admin.token}`);
    console.log(`             (generated once, kept in ${admin.path}, mode 0600; not shown again)`);
  } else if (admin.source === "file") {
    console.log(`  admin token in ${admin.path} (REELRANK_ADMIN_TOKEN overrides it)`);
  } else console.log("  admin token from REELRANK_ADMIN_TOKEN");
  console.log("Ctrl-C stops the server.");
  // The listeners stay until the shutdown is done: a second signal (`deno task` forwards the one a
  // process group got, so the server can see SIGTERM twice) must not kill it half-way.
  let stopping = false;
  let listeners: [Deno.Signal, () => void][] = [];
  const signal = await new Promise<Deno.Signal>((resolve) => {
    const on = (s: Deno.Signal) => () => {
      if (stopping) return;
      stopping = true;
      resolve(s);
    };
    listeners = [["SIGINT", on("SIGINT")], ["SIGTERM", on("SIGTERM")]];
    for (const [s, f] of listeners) Deno.addSignalListener(s, f);
  });
  try {
    console.log("\nstopping: finishing requests in flight…");
    await forget();
    // A pipeline run in progress ends failed, saying why, rather than being left active.
    await engine.close(`stopped by ${signal}`);
    await server.shutdown();
  } finally {
    for (const [s, f] of listeners) Deno.removeSignalListener(s, f);
  }
}
