/**
 * `deno task simulate` as a function: builds the world, serves it (in-process, no socket), and
 * runs two scenarios — the worse model on the canary (the rule must refuse it), then the roles
 * reversed (the rule must promote the good one).
 */
import { createApp } from "../api/app.ts";
import type { Context } from "../context.ts";
import { createMetrics } from "../observability/metrics.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { openLocalScorer } from "../serving/local_scorer.ts";
import { startServing } from "../serving/serving.ts";
import { STAGING } from "./canary.ts";
import { runScenario, type ScenarioReport } from "./simulate.ts";
import { buildWorld, type SimWorld } from "./sim_world.ts";
import type { TrainParams } from "../model/mod.ts";

/** Sizes and the rule of a simulation. */
export interface SimulationOptions {
  movies: number;
  users: number;
  moviesPerUser: number;
  sessions: number;
  share: number;
  shadowShare: number;
  minImpressions: number;
  alpha: number;
  seed: number;
  params?: Partial<TrainParams>;
  /** Moves the context's fake clock on. */
  advance: (ms: number) => void;
  /** Reports progress lines (default: nothing). */
  progress?: (line: string) => void;
}

/** Both scenarios' outcomes. */
export interface SimulationReport {
  world: { movies: number; users: number; good: number; worse: number };
  worseOnCanary: ScenarioReport;
  betterOnCanary: ScenarioReport;
  seconds: { build: number; scenarios: number };
}

const ADMIN = "simulation-admin-token-0000";

/** Runs the simulation on `ctx` (an empty, migrated database and its own object store). */
export async function simulateCanary(
  ctx: Context,
  o: SimulationOptions,
): Promise<SimulationReport> {
  const t0 = performance.now();
  const world: SimWorld = await buildWorld(ctx, o);
  // Whatever the gate made of the worse model, production starts as the good one.
  await ctx.registry.setAliases(MODEL_NAME, { [PRODUCTION]: world.good, [STAGING]: world.worse });
  const built = performance.now();
  o.progress?.(
    `world: ${o.movies} movies, ${o.users} users; good model v${world.good}, worse v${world.worse} ` +
      `(${((built - t0) / 1000).toFixed(1)} s)`,
  );
  const metrics = createMetrics({ defaults: false });
  const serving = await startServing(ctx, {
    metrics,
    clock: ctx.clock,
    openScorer: openLocalScorer,
    pollMs: 0,
    flushMs: 0,
    autoPromoteMs: 0,
  });
  try {
    const app = createApp({
      db: ctx.db,
      registry: ctx.registry,
      tracking: ctx.tracking,
      serving,
      metrics,
      adminToken: ADMIN,
      clock: ctx.clock,
      // The simulation is one client making many admin calls.
      http: { adminRequestsPerMinute: 1_000_000 },
    });
    const common = {
      sessions: o.sessions,
      k: 10,
      share: o.share,
      shadowShare: o.shadowShare,
      minImpressions: o.minImpressions,
      alpha: o.alpha,
      adminToken: ADMIN,
      advance: o.advance,
      flush: () => serving.online.flush(),
    };
    const worseOnCanary = await runScenario(app, world, { ...common, seed: o.seed });
    o.progress?.(`worse model on the canary: ${worseOnCanary.verdict.reason}`);
    // Roles reversed: the worse model in production, the good one on the canary.
    await ctx.registry.setAliases(MODEL_NAME, { [PRODUCTION]: world.worse, [STAGING]: world.good });
    await serving.watcher.check();
    await serving.online.check();
    o.advance(86_400_000 + 60_000); // a new day: the previous scenario is out of the 1d window
    const betterOnCanary = await runScenario(app, world, { ...common, seed: o.seed + 1 });
    o.progress?.(`better model on the canary: ${betterOnCanary.verdict.reason}`);
    return {
      world: { movies: o.movies, users: o.users, good: world.good, worse: world.worse },
      worseOnCanary,
      betterOnCanary,
      seconds: { build: (built - t0) / 1000, scenarios: (performance.now() - built) / 1000 },
    };
  } finally {
    await serving.close();
    await ctx.releaseKernel();
  }
}
