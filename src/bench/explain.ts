/**
 * What `explain` costs, in-process on the stored data and the production model: the served scorer
 * (a worker, as `serve` runs it) ranking histories with and without explanations, one at a time
 * and in batches, and POST /api/v1/recommendations through the app without a socket.
 */
import type { Context } from "../context.ts";
import { localServer } from "./local_server.ts";
import { MODEL_NAME } from "../registry/store.ts";
import type { RankRequest } from "../serving/scorer.ts";
import { openWorkerScorer } from "../serving/worker_scorer.ts";
import { visitorHistories } from "./serve_load.ts";

/** Options of {@link benchExplain}. */
export interface ExplainBenchOptions {
  /** Seconds per measurement (default 3). */
  seconds?: number;
  /** Histories per batch for the throughput figures (default 32). */
  batch?: number;
  /** Kernel threads of the scorer (default 1). */
  threads?: number;
}

/** The figures: milliseconds per history and histories/s, without and with explanations. */
export interface ExplainBenchResult {
  model_version: number;
  /** Visitor-like histories (5–50 movies) and stored users' whole histories. */
  visitor_mean_length: number;
  user_mean_length: number;
  /** The scorer, one request at a time (ms per request, mean). */
  visitor_ms_plain: number;
  visitor_ms_explain: number;
  user_ms_plain: number;
  user_ms_explain: number;
  /** The scorer, `batch` histories per call (histories/s). */
  batch: number;
  visitor_per_s_plain: number;
  visitor_per_s_explain: number;
  /** POST /api/v1/recommendations through app.request, one at a time (ms per request, mean). */
  route_ms_plain: number;
  route_ms_explain: number;
  load_average_1m: number;
}

// Mean milliseconds per call of `fn` over `seconds` (after a warm-up), and the calls made.
async function timed(seconds: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(i);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < seconds * 1000) await fn(n++);
  return (performance.now() - started) / n;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const mean = (xs: readonly (readonly number[])[]) =>
  round(xs.reduce((n, h) => n + h.length, 0) / xs.length, 1);

/** Runs the measurements on the context's data and production model. */
export async function benchExplain(
  ctx: Context,
  o: ExplainBenchOptions = {},
): Promise<ExplainBenchResult> {
  const seconds = o.seconds ?? 3;
  const B = o.batch ?? 32;
  const server = await localServer(ctx, { threads: o.threads });
  const { serving, app } = server;
  try {
    const version = serving.version();
    if (version === null) throw new Error(`no production model: ${serving.problem()}`);
    const h = serving.histories;
    const users = h.users().sort((a, b) => a - b).map((u) => h.get(u)!);
    const visitors = visitorHistories(users, 400);
    const { bytes } = await ctx.registry.loadArtifact(MODEL_NAME, version);
    const scorer = await openWorkerScorer(bytes, { genres: {}, threads: o.threads });
    let alone: Record<string, number>;
    let batched: Record<string, number>;
    try {
      const one = (hs: readonly (readonly number[])[], explain: boolean) => (i: number) =>
        scorer.rank([{ history: hs[i % hs.length], k: 10, explain }]);
      alone = {
        visitorPlain: await timed(seconds, one(visitors, false)),
        visitorExplain: await timed(seconds, one(visitors, true)),
        userPlain: await timed(seconds, one(users, false)),
        userExplain: await timed(seconds, one(users, true)),
      };
      const many = (explain: boolean) => (i: number) =>
        scorer.rank(Array.from({ length: B }, (_, j): RankRequest => ({
          history: visitors[(i * B + j) % visitors.length],
          k: 10,
          explain,
        })));
      batched = {
        plain: (1000 * B) / await timed(seconds, many(false)),
        explain: (1000 * B) / await timed(seconds, many(true)),
      };
    } finally {
      await scorer.close();
    }
    const route = (explain: boolean) => async (i: number) => {
      const res = await app.request("/api/v1/recommendations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ history: visitors[i % visitors.length], k: 10, explain }),
      });
      await res.arrayBuffer();
    };
    return {
      model_version: version,
      visitor_mean_length: mean(visitors),
      user_mean_length: mean(users),
      visitor_ms_plain: round(alone.visitorPlain, 3),
      visitor_ms_explain: round(alone.visitorExplain, 3),
      user_ms_plain: round(alone.userPlain, 3),
      user_ms_explain: round(alone.userExplain, 3),
      batch: B,
      visitor_per_s_plain: Math.round(batched.plain),
      visitor_per_s_explain: Math.round(batched.explain),
      route_ms_plain: round(await timed(seconds, route(false)), 3),
      route_ms_explain: round(await timed(seconds, route(true)), 3),
      load_average_1m: round(Deno.loadavg()[0]),
    };
  } finally {
    await server.shutdown();
  }
}
