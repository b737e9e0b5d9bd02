/** Serving test fixture: the sequences data stored as movies and users, a small model trained and in production, the app on top. */
import { createApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config.ts";
import { type Context, createContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { configureLogging } from "../../src/log.ts";
import { trainAndRegister } from "../../src/model/mod.ts";
import { createMetrics, type Metrics } from "../../src/observability/metrics.ts";
import { openLocalScorer } from "../../src/serving/local_scorer.ts";
import { type Serving, startServing } from "../../src/serving/serving.ts";
import type { PipelineEngine } from "../../src/pipeline/engine.ts";
import { type EngineOverrides, startPipelineEngine } from "../../pipelines/engine.ts";
import { fakeTimers, standInDag } from "./pipeline.ts";
import { sequenceInteractions } from "../fixtures/sequences/generate.ts";
import { SMALL_PARAMS } from "../fixtures/sequences/params.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";
import { ADMIN_TOKEN } from "./secrets.ts";

/** The admin token the fixture's app expects. */
export { ADMIN_TOKEN };

/** Movies 1..180 (six chains of 30): every third a Comedy, the rest Drama; even ids have a poster. */
export async function seedCatalog(db: Database, options: { users?: number } = {}): Promise<void> {
  const ids = Array.from({ length: 180 }, (_, i) => i + 1);
  await db.query(
    `INSERT INTO movies (id, movielens_id, title, year, genres, poster_path, source)
     SELECT id, id, 'Movie ' || id, 1990 + id % 30,
       CASE WHEN id % 3 = 0 THEN ARRAY['Comedy'] ELSE ARRAY['Drama'] END,
       CASE WHEN id % 2 = 0 THEN '/p' || id || '.jpg' END, 'movielens'
     FROM unnest($1::int8[]) AS id`,
    [ids],
  );
  const data = sequenceInteractions({ users: options.users ?? 60 });
  await db.query(
    `INSERT INTO users (id, source, external_id)
     SELECT DISTINCT u, 'movielens', u::text FROM unnest($1::int8[]) AS u`,
    [Array.from(data.users)],
  );
  await db.query(
    `INSERT INTO interactions (user_id, movie_id, ts, rating, source)
     SELECT u, m, t, 4, 'movielens' FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(u, m, t)`,
    [Array.from(data.users), Array.from(data.items), Array.from(data.timestamps)],
  );
}

/** A fake clock: `now()` returns the set time; `advance(ms)` moves it. */
export function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

/** Everything a serving test touches. */
export interface Fixture {
  ctx: Context;
  objects: MemoryObjectStore;
  metrics: Metrics;
  serving: Serving;
  app: ReturnType<typeof createApp>;
  clock: ReturnType<typeof fakeClock>;
  /** The pipeline engine behind /api/v1/pipeline (a stand-in DAG unless `engine.dags` is given). */
  engine: PipelineEngine<Context>;
  close(): Promise<void>;
}

/** Options of {@link servingFixture}. */
export interface FixtureOptions {
  /** Train and promote version 1 (default true). */
  train?: boolean;
  /** Runs after seeding and training, before serving starts (e.g. more runs, other movie rows). */
  prepare?: (ctx: Context) => Promise<void>;
  /** Options of the pipeline engine (its DAGs, timers…). */
  engine?: EngineOverrides;
}

/** Seeds `db`, trains and promotes version 1 (unless `train: false`), starts serving and the app. */
export async function servingFixture(
  db: Database,
  options: FixtureOptions = {},
): Promise<Fixture> {
  configureLogging({ level: "warn" });
  await seedCatalog(db);
  const objects = new MemoryObjectStore();
  const clock = fakeClock();
  const ctx = createContext({ config: loadConfig({}), db, objects }, { clock: clock.now });
  if (options.train ?? true) {
    await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 2 } });
    await ctx.releaseKernel();
  }
  await options.prepare?.(ctx);
  const metrics = createMetrics();
  const serving = await startServing(ctx, {
    metrics,
    clock: clock.now,
    openScorer: openLocalScorer,
    pollMs: 0,
  });
  const engine = await startPipelineEngine(ctx, {
    metrics,
    // A quick stand-in unless a test asks for the real DAGs: a run started through the API must
    // not ingest the bundled data set behind a test's back.
    dags: [standInDag(() => Promise.resolve({ done: true }))],
    timers: fakeTimers().timers,
    ...options.engine,
  });
  const app = createApp({
    db,
    registry: ctx.registry,
    tracking: ctx.tracking,
    serving,
    metrics,
    pipeline: engine,
    adminToken: ADMIN_TOKEN,
    clock: clock.now,
  });
  return {
    ctx,
    objects,
    metrics,
    serving,
    app,
    clock,
    engine,
    async close() {
      await engine.close();
      await serving.close();
      await ctx.releaseKernel();
    },
  };
}

/** Runs `fn` with a fixture on `db` and closes it afterwards. */
export async function withFixture(
  db: Database,
  fn: (f: Fixture) => Promise<void>,
  options: FixtureOptions = {},
): Promise<void> {
  const f = await servingFixture(db, options);
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

/** A JSON POST for `app.request`. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}
