/** Starts the HTTP server: serving core, app and Deno.serve wired on one context; stops them in order. */
import type { HttpSecurity } from "../config.ts";
import type { Context } from "../context.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import type { PipelineService } from "../pipeline/service.ts";
import type { OpenScorer } from "../serving/scorer.ts";
import { type Serving, startServing } from "../serving/serving.ts";
import { attachDatabaseGauges } from "../observability/database_gauges.ts";
import { attachOnlineGauges } from "../online/gauges.ts";
import { createApp } from "./app.ts";

/** A listening server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:8000`. */
  url: string;
  serving: Serving;
  metrics: Metrics;
  /** The app the socket serves (for in-process requests beside it, e.g. a benchmark's). */
  app: ReturnType<typeof createApp>;
  /** Stops accepting requests, lets in-flight ones finish, then frees the model. */
  shutdown(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** 0 picks a free port (tests, the benchmark). */
  port: number;
  host: string;
  adminToken: string;
  openScorer?: OpenScorer;
  maxBatch?: number;
  pollMs?: number;
  /** Kernel threads of each loaded model (default 1); REELRANK_THREADS for serve and start. */
  threads?: number;
  /** The registry /metrics shows (default: a new one); serve and start pass the context's. */
  metrics?: Metrics;
  /** CORS allow-lists and the admin rate limit (Config.http for serve and start). */
  http?: HttpSecurity;
  /** The pipeline engine behind /api/v1/pipeline (without it those routes answer 503). */
  pipeline?: PipelineService;
  /** Impressions held in memory at most (REELRANK_IMPRESSION_BUFFER). */
  impressionBuffer?: number;
  /** Listen with SO_REUSEPORT: other processes may serve the same port (REELRANK_REUSE_PORT). */
  reusePort?: boolean;
}

/** Loads the serving core on `ctx` and listens; resolves once the socket is open. */
export async function startServer(
  ctx: Pick<Context, "db" | "registry" | "tracking" | "clock" | "objects">,
  options: ServerOptions,
): Promise<RunningServer> {
  const metrics = options.metrics ?? createMetrics();
  // The workhorse exports what is stored (data, snapshots, drift), whoever wrote it.
  attachDatabaseGauges(metrics, { db: ctx.db, objects: ctx.objects, clock: ctx.clock });
  attachOnlineGauges(metrics, { db: ctx.db, clock: ctx.clock });
  const serving = await startServing(ctx, {
    metrics,
    clock: ctx.clock,
    openScorer: options.openScorer,
    maxBatch: options.maxBatch,
    pollMs: options.pollMs,
    threads: options.threads,
    impressionBuffer: options.impressionBuffer,
  });
  const app = createApp({
    db: ctx.db,
    registry: ctx.registry,
    tracking: ctx.tracking,
    serving,
    metrics,
    pipeline: options.pipeline,
    adminToken: options.adminToken,
    clock: ctx.clock,
    http: options.http,
  });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      {
        port: options.port,
        hostname: options.host,
        // Only when asked: Deno gates SO_REUSEPORT behind --unstable-net (the serve, start and
        // test tasks pass it).
        ...(options.reusePort ? { reusePort: true } : {}),
        onListen: () => {},
      },
      app.fetch,
    );
  } catch (err) {
    await serving.close();
    throw err;
  }
  const host = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  return {
    url: `http://${host}:${server.addr.port}`,
    serving,
    metrics,
    app,
    async shutdown() {
      await server.shutdown();
      await serving.close();
    },
  };
}
