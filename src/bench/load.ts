/**
 * The load benchmark: the server under a mixed load from wrk (users' recommendations, visitors'
 * histories, movie pages, watch events) for a minute, a model promotion in the middle, and the
 * memory the process holds after warm-up and at the end.
 */
import { startServer } from "../api/server.ts";
import type { Context } from "../context.ts";
import { MODEL_NAME } from "../registry/store.ts";
import { type Kind, MIX, mixScript, parseKinds } from "./load_script.ts";
import { visitorHistories } from "./serve_load.ts";
import { runWrk } from "./wrk.ts";

/** Options of {@link benchLoad}. */
export interface LoadBenchOptions {
  /** Seconds of the measured run (the issue's figure: 60). */
  seconds: number;
  /** Seconds of the same mix before it, after which memory is taken as the baseline. */
  warmupSeconds: number;
  connections: number;
  wrkThreads: number;
  /** Kernel threads of the served model. */
  threads?: number;
  log?: (line: string) => void;
}

/** The figures. */
export interface LoadBenchResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** Socket errors and answers that are not 2xx, 3xx included (goal: 0); see {@link failedRequests}. */
  errors: number;
  by_kind: Record<Kind, { ok: number; bad: number }>;
  /** Resident memory after the warm-up and at the end of the run, and their ratio (goal ≤ 1.1). */
  rss_after_warmup_mb: number;
  rss_end_mb: number;
  rss_ratio: number;
  rss_max_mb: number;
  /**
   * Live JS heap after a full garbage collection, after the warm-up and at the end, and their
   * ratio: what a leak would grow (RSS also holds heap V8 reserved and has not returned). Null
   * when the process was started without `--v8-flags=--expose-gc` (the bench task sets it).
   */
  heap_live_after_warmup_mb: number | null;
  heap_live_end_mb: number | null;
  heap_live_ratio: number | null;
  /** The version promoted in the middle, the second it happened at, and how long the call took. */
  promotion: { from: number; to: number; at_s: number; took_ms: number } | null;
  connections: number;
  seconds: number;
  load_average: { before: number; after: number };
}

/**
 * Failed requests of a run: socket errors, every answer the script counted as not 2xx (3xx
 * included, which wrk's own count leaves out), and every answer it could not tag with its kind.
 */
export function failedRequests(
  socketErrors: number,
  kinds: Record<string, { ok: number; bad: number }>,
): number {
  let n = socketErrors;
  for (const [kind, c] of Object.entries(kinds)) n += kind === "unknown" ? c.ok + c.bad : c.bad;
  return n;
}

const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
/** heapUsed after a full collection, when the runtime exposes `gc` (`--v8-flags=--expose-gc`). */
function liveHeap(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return null;
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

const loadAverage = () => {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
};

/**
 * Serves the context's data and production model, runs the mix for `warmupSeconds` and then for
 * `seconds`, promoting a new version half-way through the second run, and reports the figures.
 * The new version is the production artifact registered again (same weights, a new number, so
 * the server really loads and swaps a model); production is moved back to the original version
 * afterwards, and the extra version stays in the registry, described as the benchmark's.
 */
export async function benchLoad(ctx: Context, o: LoadBenchOptions): Promise<LoadBenchResult> {
  const say = o.log ?? (() => {});
  const token = crypto.randomUUID();
  const server = await startServer(ctx, {
    port: 0,
    host: "127.0.0.1",
    adminToken: token,
    threads: o.threads,
    // The promotion below is one admin request; the limit is not what is measured.
    http: { corsOrigins: [], adminCorsOrigins: [], adminRequestsPerMinute: 1000 },
  });
  const dir = await Deno.makeTempDir({ prefix: "reelrank-load-" });
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(Deno.memoryUsage().rss), 1000);
  const auth = { authorization: `Bearer ${token}` };
  let original: number | null = null;
  try {
    const served = server.serving.holder.current;
    if (!served) {
      throw new Error("no production model is loaded: train one first (deno task train)");
    }
    original = served.version.version;
    const h = server.serving.histories;
    const users = h.users().sort((a, b) => a - b);
    const movies = (await ctx.db.query<{ id: number }>("SELECT id FROM movies ORDER BY id"))
      .map((r) => r.id);
    await Deno.writeTextFile(
      `${dir}/mix.lua`,
      mixScript({
        users,
        movies,
        visitorBodies: visitorHistories(users.map((u) => h.get(u)!), 400)
          .map((v) => JSON.stringify({ history: v, k: 10 })),
      }),
    );
    const wrk = (seconds: number) =>
      runWrk(`${server.url}/`, {
        seconds,
        connections: o.connections,
        threads: o.wrkThreads,
        script: `${dir}/mix.lua`,
        scriptArgs: [crypto.randomUUID().slice(0, 8)],
      });

    say(`warming up for ${o.warmupSeconds} s on ${server.url} (model version ${original})…`);
    await wrk(o.warmupSeconds);
    const baseline = Deno.memoryUsage().rss;
    const heapBaseline = liveHeap();
    rss.length = 0;

    // The version to promote: the production artifact under a new number.
    const { bytes } = await ctx.registry.loadArtifact(MODEL_NAME, original);
    const next = (await ctx.registry.registerVersion(MODEL_NAME, {
      artifact: bytes,
      description: `deno task bench load: a copy of version ${original} to promote under load`,
    })).version;

    const loadBefore = loadAverage();
    say(
      `mixed load for ${o.seconds} s at ${o.connections} connections (${
        Object.entries(MIX).map(([k, v]) => `${v}% ${k}`).join(", ")
      }); promoting version ${next} at ${o.seconds / 2} s…`,
    );
    const started = performance.now();
    let promotion: LoadBenchResult["promotion"] = null;
    const promote = new Promise<void>((resolve, reject) =>
      setTimeout(async () => {
        try {
          const t = performance.now();
          const res = await fetch(`${server.url}/api/v1/models/${next}/promote`, {
            method: "POST",
            headers: auth,
          });
          const body = await res.json();
          if (res.status !== 200 || body.serving !== next) {
            throw new Error(`promotion failed: HTTP ${res.status} ${JSON.stringify(body)}`);
          }
          promotion = {
            from: original!,
            to: next,
            at_s: Number(((t - started) / 1000).toFixed(1)),
            took_ms: Math.round(performance.now() - t),
          };
          resolve();
        } catch (err) {
          reject(err);
        }
      }, (o.seconds / 2) * 1000)
    );
    const [run] = await Promise.all([wrk(o.seconds), promote]);
    const end = Deno.memoryUsage().rss;
    const heapEnd = liveHeap();
    const kinds = parseKinds(run.output);
    const byKind = Object.fromEntries(
      (Object.keys(MIX) as Kind[]).map((k) => [k, kinds[k] ?? { ok: 0, bad: 0 }]),
    ) as LoadBenchResult["by_kind"];
    return {
      requests: run.requests,
      rps: Math.round(run.rps),
      p50_ms: Number(run.p50_ms.toFixed(3)),
      p99_ms: Number(run.p99_ms.toFixed(3)),
      errors: failedRequests(run.socketErrors, kinds),
      by_kind: byKind,
      rss_after_warmup_mb: mb(baseline),
      rss_end_mb: mb(end),
      rss_ratio: Number((end / baseline).toFixed(3)),
      rss_max_mb: mb(Math.max(baseline, end, ...rss)),
      heap_live_after_warmup_mb: heapBaseline === null ? null : mb(heapBaseline),
      heap_live_end_mb: heapEnd === null ? null : mb(heapEnd),
      heap_live_ratio: heapBaseline === null || heapEnd === null
        ? null
        : Number((heapEnd / heapBaseline).toFixed(3)),
      promotion,
      connections: o.connections,
      seconds: o.seconds,
      load_average: { before: loadBefore, after: loadAverage() },
    };
  } finally {
    clearInterval(sampler);
    if (original !== null && server.serving.version() !== original) {
      await fetch(`${server.url}/api/v1/models/rollback`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({
          version: original,
          reason: "deno task bench load: back to the version before the run",
        }),
      }).then((r) => r.body?.cancel());
    }
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}
