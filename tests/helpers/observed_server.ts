/**
 * A reelrank server with something to show, all recorded on the context's one registry: a run of
 * the `recommend` DAG that fails (its folder is missing), then one through the real pipeline engine
 * that ingests the sequences data from MovieLens files (with two bad rows), snapshots, trains,
 * promotes and publishes version 1; a second version trained, a third that fails its load, batches
 * of recommendations, shifted events and a drift check; then served on a loopback port with
 * traffic kept flowing until `close()`.
 */
import { startServer } from "../../src/api/server.ts";
import { type Config, loadConfig, type LogLevel } from "../../src/config.ts";
import { type Context, createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { trainAndRegister } from "../../src/model/mod.ts";
import type { Json } from "../../src/pipeline/dag.ts";
import { checkDrift } from "../../src/observability/drift/check.ts";
import { setCanary } from "../../src/online/canary.ts";
import { MODEL_NAME } from "../../src/registry/store.ts";
import { writeBatchRecommendations } from "../../src/serving/batch.ts";
import { openLocalScorer } from "../../src/serving/local_scorer.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { RECOMMEND_DAG } from "../../pipelines/recommend_dag.ts";
import { sequenceInteractions } from "../fixtures/sequences/generate.ts";
import { SMALL_PARAMS, smallRunParams } from "../fixtures/sequences/params.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";
import { ADMIN_TOKEN } from "./serving.ts";

/** A MovieLens folder of the sequences data: 180 movies, 60 users, a bad rating and an unknown movie. */
async function movieLensFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-observed-" });
  const movies = ["movieId,title,genres"];
  for (let id = 1; id <= 180; id++) {
    movies.push(`${id},Movie ${id} (${1990 + id % 30}),${id % 3 === 0 ? "Comedy" : "Drama"}`);
  }
  const data = sequenceInteractions({ users: 60 });
  const ratings = ["userId,movieId,rating,timestamp"];
  for (let i = 0; i < data.users.length; i++) {
    ratings.push(`${data.users[i]},${data.items[i]},4.0,${data.timestamps[i]}`);
  }
  ratings.push("1,2,eleven,1000", "2,999999,4.0,1000");
  await Deno.writeTextFile(`${dir}/movies.csv`, movies.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/ratings.csv`, ratings.join("\n") + "\n");
  return dir;
}

/** What the test talks to. */
export interface ObservedServer {
  ctx: Context;
  url: string;
  close(): Promise<void>;
}

/**
 * Prepares the data and models on `db`, serves them, and starts the traffic. `logLevel` (default
 * warn) and `config` let the log tests watch everything with secrets configured.
 */
export async function observedServer(
  db: Database,
  options: { logLevel?: LogLevel; config?: Config } = {},
): Promise<ObservedServer> {
  configureLogging({ level: options.logLevel ?? "warn" });
  const ctx = createContext({
    config: options.config ?? loadConfig({}),
    db,
    objects: new MemoryObjectStore(),
  });
  const folder = await movieLensFolder();
  const engine = await startPipelineEngine(ctx);
  let version1: Record<string, Json>;
  try {
    // A run whose ingest finds no folder (a permanent error): first, since a later run in the same
    // second would share the good run's key and reuse its ingest.
    const failed = await engine.run({
      dag: RECOMMEND_DAG,
      trigger: "manual",
      params: { path: `${folder}/missing` },
    });
    if (failed.status !== "failed") throw new Error(`a run without data ended ${failed.status}`);
    const run = await engine.run({
      dag: RECOMMEND_DAG,
      trigger: "manual",
      params: { path: folder, families: "mlp", ...smallRunParams({ epochs: 2, seed: 3 }) },
    });
    if (run.status !== "success") throw new Error(`the recommend run failed: ${run.statusReason}`);
    version1 = Object.fromEntries(run.tasks.map((t) => [t.taskId, t.result]));
  } catch (err) {
    await engine.close();
    throw err;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
  const promoted = version1.promote as { version: number; promoted: boolean };
  if (promoted.version !== 1 || !promoted.promoted) {
    throw new Error(`the recommend run did not promote version 1: ${JSON.stringify(promoted)}`);
  }
  const snapshotId = (version1.snapshot as { snapshotId: string }).snapshotId;
  // Version 2 passes the gate; version 1 goes back to production until the server switches.
  await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 2, seed: 4 }, snapshotId });
  await ctx.releaseKernel();
  await ctx.registry.promote(MODEL_NAME, 1);
  const server = await startServer(ctx, {
    port: 0,
    host: "127.0.0.1",
    adminToken: ADMIN_TOKEN,
    openScorer: openLocalScorer,
    pollMs: 0,
    metrics: ctx.metrics,
    pipeline: engine,
  });
  const { serving } = server;
  const publish = async () => {
    await writeBatchRecommendations(db, serving.holder.current!, {
      histories: serving.histories,
      k: 10,
      now: ctx.clock(),
    });
  };
  await publish();
  await ctx.registry.promote(MODEL_NAME, 2);
  await serving.watcher.check();
  await publish();
  // A version whose artifact is not a checkpoint: the server keeps version 2 and counts a failure.
  const broken = await ctx.registry.registerVersion(MODEL_NAME, {
    artifact: new TextEncoder().encode("not a checkpoint"),
  });
  await ctx.registry.promote(MODEL_NAME, broken.version);
  await serving.watcher.check();
  // New users who only watch comedies, after everything the models were trained on.
  for (let u = 0; u < 100; u++) {
    for (let j = 0; j < 3; j++) {
      await fetchOk(`${server.url}/api/v1/events`, {
        eventId: `drift-${u}-${j}`,
        userId: 5000 + u,
        movieId: 3 * (1 + ((u + j * 7) % 60)),
        type: "watch",
        timestamp: 2_000_000 + u * 10 + j,
      });
    }
  }
  await checkDrift(ctx, { threshold: ctx.config.drift.threshold, retrain: false, minSample: 200 });
  // Online evaluation: version 1 serves half the visitors (canary) and shadows the rest.
  await ctx.registry.setAliases(MODEL_NAME, { staging: 1 });
  await setCanary(db, MODEL_NAME, { share: 0.5, shadowShare: 1, now: ctx.clock() });
  await serving.online.check();

  let stop = false;
  const traffic = (async () => {
    for (let i = 0; !stop; i++) {
      await Promise.all([
        fetchOk(`${server.url}/api/v1/users/${1 + (i % 5)}/recommendations?k=10`),
        fetchOk(`${server.url}/api/v1/users/424242/recommendations`),
        fetchOk(`${server.url}/api/v1/recommendations`, { history: [1, 2, 3 + (i % 50)], k: 5 }),
        fetch(`${server.url}/api/v1/users/1/recommendations?k=500`).then((r) => r.body?.cancel()),
        fetch(`${server.url}/no/such/page`).then((r) => r.body?.cancel()),
        visitorSession(server.url, i),
      ]);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    ctx,
    url: server.url,
    async close() {
      stop = true;
      await traffic;
      await server.shutdown();
      await engine.close();
      await ctx.releaseKernel();
    },
  };
}

/** GETs (or POSTs `body` as JSON to) `url`; throws unless the answer is 2xx. */
/** A visitor asks for movies, clicks the first and watches it (outcomes of the impression). */
async function visitorSession(url: string, i: number): Promise<void> {
  const visitorId = `visitor-${i % 20}-observed`;
  const res = await fetch(`${url}/api/v1/recommendations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ history: [4, 5, 6 + (i % 40)], k: 5, visitorId }),
  });
  if (!res.ok) throw new Error(`POST /api/v1/recommendations answered ${res.status}`);
  const shown = await res.json();
  const base = { visitorId, movieId: shown.items[0].id, impressionId: shown.impressionId };
  await fetchOk(`${url}/api/v1/events`, { ...base, eventId: `obs-c-${i}`, type: "click" });
  await fetchOk(`${url}/api/v1/events`, { ...base, eventId: `obs-w-${i}`, type: "watch" });
}

async function fetchOk(url: string, body?: unknown): Promise<void> {
  const res = await fetch(
    url,
    body === undefined ? undefined : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    },
  );
  await res.body?.cancel();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}
