/** The pipeline engine of a process, on a context: reelrank's DAGs, its stores, abandoned runs reaped. */
import { type Context, reapAbandonedRuns } from "../src/context.ts";
import type { Metrics } from "../src/observability/metrics.ts";
import { type EngineOptions, PipelineEngine } from "../src/pipeline/engine.ts";
import { SqlPipelineStore } from "../src/pipeline/sql_store.ts";
import { DAGS } from "./recommend_dag.ts";

/** Extra engine options (tests: timers, heartbeat and staleness). */
export type EngineOverrides = Partial<Omit<EngineOptions<Context>, "store" | "deps" | "metrics">>;

/**
 * Starts the engine on `ctx`: runs and tracked runs whose process died are marked failed (on
 * PGlite every active one: the data-folder lock proves no other process runs them), and the
 * last-success gauges are read from the database. The caller must `close()` it.
 */
export async function startPipelineEngine(
  ctx: Context,
  options: { metrics?: Metrics } & EngineOverrides = {},
): Promise<PipelineEngine<Context>> {
  const { metrics = ctx.metrics, ...overrides } = options;
  const clock = overrides.clock ?? ctx.clock;
  const engine = new PipelineEngine<Context>({
    store: new SqlPipelineStore(ctx.db, { clock }),
    dags: DAGS,
    deps: ctx,
    metrics,
    clock,
    exclusive: ctx.db.kind === "pglite",
    ...overrides,
  });
  await reapAbandonedRuns(ctx);
  await engine.start();
  return engine;
}
