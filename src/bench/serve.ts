/**
 * Serving benchmark: the server on the stored data, driven by wrk at 64 connections — (1) users'
 * recommendations, (2) visitor histories that always run the model, (3) /health as the ceiling —
 * and (4) the histories/s the same scorer manages in-process at the batch sizes (2) used.
 */
import { startServer } from "../api/server.ts";
import type { Context } from "../context.ts";
import type { RankRequest } from "../serving/scorer.ts";
import { openLocalScorer } from "../serving/local_scorer.ts";
import { openWorkerScorer } from "../serving/worker_scorer.ts";
import { LUA, visitorHistories } from "./serve_load.ts";
import { cpuPerRequest, threadCpu } from "./thread_cpu.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/** Options of {@link benchServe}. */
export interface ServeBenchOptions {
  seconds: number;
  connections: number;
  wrkThreads: number;
  /** Where the model runs: a worker (default, as served) or the main thread. */
  scorer: "worker" | "local";
  maxBatch?: number;
  /** Kernel threads of the served model (default 1). */
  threads?: number;
  log?: (line: string) => void;
}

/** The figures (keys fixed by the issue), plus what they were measured on. */
export interface ServeBenchResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  infer_rps: number;
  infer_p50_ms: number;
  infer_p99_ms: number;
  ceiling_rps: number;
  ceiling_p50_ms: number;
  ceiling_p99_ms: number;
  capacity_per_s: number;
  ratio: number;
  infer_ratio: number;
  mean_batch: number;
  /**
   * CPU per POST during (2), µs: the main thread (HTTP, routing, JSON), the Web Workers (the scorer
   * and its kernel threads) and the runtime's other threads; null off Linux.
   */
  infer_cpu_us: { main_us: number; workers_us: number; other_us: number } | null;
  model_version: number | null;
  scorer: string;
  connections: number;
  seconds: number;
  errors: number;
}

async function scoreInProcess(
  ctx: Pick<Context, "registry">,
  served: { version: { version: number } },
  histories: number[][],
  options: { batch: number; seconds: number; scorer: "worker" | "local"; threads?: number },
): Promise<number> {
  const { bytes } = await ctx.registry.loadArtifact("reelrank", served.version.version);
  const open = options.scorer === "worker" ? openWorkerScorer : openLocalScorer;
  const scorer = await open(bytes, { genres: {}, threads: options.threads });
  try {
    let done = 0, i = 0;
    const batchOf = (): RankRequest[] =>
      Array.from(
        { length: options.batch },
        () => ({ history: histories[i++ % histories.length], k: 10 }),
      );
    for (let w = 0; w < 20; w++) await scorer.rank(batchOf());
    const started = performance.now();
    while (performance.now() - started < options.seconds * 1000) {
      await scorer.rank(batchOf());
      done += options.batch;
    }
    return done / ((performance.now() - started) / 1000);
  } finally {
    await scorer.close();
  }
}

/** Runs the four measurements on the context's data and production model. */
export async function benchServe(ctx: Context, o: ServeBenchOptions): Promise<ServeBenchResult> {
  const say = o.log ?? (() => {});
  const server = await startServer(ctx, {
    port: 0,
    host: "127.0.0.1",
    adminToken: crypto.randomUUID(),
    pollMs: 0,
    maxBatch: o.maxBatch,
    threads: o.threads,
    openScorer: o.scorer === "local" ? openLocalScorer : undefined,
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await server.shutdown();
    stopped = true;
  };
  const dir = await Deno.makeTempDir({ prefix: "reelrank-bench-" });
  try {
    const served = server.serving.holder.current;
    const h = server.serving.histories;
    const users = h.users().sort((a, b) => a - b);
    const visitors = visitorHistories(users.map((u) => h.get(u)!), 400);
    await Deno.writeTextFile(`${dir}/ceiling.lua`, LUA.ceiling());
    await Deno.writeTextFile(`${dir}/users.lua`, LUA.users(users));
    await Deno.writeTextFile(
      `${dir}/visitors.lua`,
      LUA.visitors(visitors.map((v) => JSON.stringify({ history: v, k: 10 }))),
    );
    const wrk = (path: string, script?: string, seconds = o.seconds) =>
      runWrk(`${server.url}${path}`, {
        seconds,
        connections: o.connections,
        threads: o.wrkThreads,
        script: script && `${dir}/${script}`,
      });
    say(`warming up on ${server.url} (model version ${served?.version.version ?? "none"})…`);
    await wrk("/health", "ceiling.lua", 1);
    await wrk("/api/v1/users/1/recommendations", "users.lua", 2);
    say("(3) ceiling: GET /health");
    const ceiling = await wrk("/health", "ceiling.lua");
    say("(1) GET /api/v1/users/{id}/recommendations over every user");
    const usersRun = await wrk("/api/v1/users/1/recommendations", "users.lua");
    await wrk("/api/v1/recommendations", "visitors.lua", 1);
    const hist = async () => {
      const { values } = await server.metrics.inferenceBatchHistories.get();
      const at = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
      return {
        sum: at("reelrank_inference_batch_histories_sum"),
        count: at("reelrank_inference_batch_histories_count"),
      };
    };
    const before = await hist();
    say("(2) POST /api/v1/recommendations, histories of 5-50 movies (no cache)");
    const cpu0 = threadCpu();
    const inferRun = await wrk("/api/v1/recommendations", "visitors.lua");
    const cpu = cpuPerRequest(cpu0, threadCpu(), inferRun.rps * o.seconds);
    const after = await hist();
    const meanBatch = (after.sum - before.sum) / Math.max(1, after.count - before.count);
    await stop();
    say(`(4) in-process scoring at the mean batch size ${meanBatch.toFixed(1)}`);
    const capacity = served
      ? await scoreInProcess(ctx, served, visitors, {
        batch: Math.max(1, Math.round(meanBatch)),
        seconds: o.seconds,
        scorer: o.scorer,
        threads: o.threads,
      })
      : NaN;
    return result(usersRun, inferRun, ceiling, { capacity, meanBatch, served, o, cpu });
  } finally {
    await stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function result(
  u: WrkResult,
  v: WrkResult,
  c: WrkResult,
  x: {
    capacity: number;
    meanBatch: number;
    served: { version: { version: number } } | null;
    o: ServeBenchOptions;
    cpu: ServeBenchResult["infer_cpu_us"];
  },
): ServeBenchResult {
  const r3 = (n: number) => Number(n.toFixed(3));
  return {
    rps: Math.round(u.rps),
    p50_ms: r3(u.p50_ms),
    p99_ms: r3(u.p99_ms),
    infer_rps: Math.round(v.rps),
    infer_p50_ms: r3(v.p50_ms),
    infer_p99_ms: r3(v.p99_ms),
    ceiling_rps: Math.round(c.rps),
    ceiling_p50_ms: r3(c.p50_ms),
    ceiling_p99_ms: r3(c.p99_ms),
    capacity_per_s: Math.round(x.capacity),
    ratio: r3(u.rps / c.rps),
    infer_ratio: r3(v.rps / x.capacity),
    mean_batch: Number(x.meanBatch.toFixed(2)),
    infer_cpu_us: x.cpu,
    model_version: x.served?.version.version ?? null,
    scorer: x.o.scorer,
    connections: x.o.connections,
    seconds: x.o.seconds,
    errors: u.errors + v.errors + c.errors,
  };
}
