/** Pipeline test support: timers that never wait, an engine on a test database, a deferred. */
import type { Database } from "../../../src/db/types.ts";
import { configureLogging } from "../../../src/log.ts";
import { createMetrics, type Metrics } from "../../../src/observability/metrics.ts";
import type { Dag } from "../../../src/pipeline/dag.ts";
import { PipelineEngine } from "../../../src/pipeline/engine.ts";
import { SqlPipelineStore } from "../../../src/pipeline/sql_store.ts";
import { fakeClock } from "../tracking/support.ts";
import { fakeTimers } from "../../helpers/pipeline.ts";

export { type FakeTimeout, fakeTimers, standInDag } from "../../helpers/pipeline.ts";

/** A promise with its resolve function outside. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** An engine over `db` with fake timers and clock; `deps` is whatever the test's tasks need. */
export async function testEngine<D>(
  db: Database,
  dags: Dag<D>[],
  options: { deps?: D; exclusive?: boolean; staleAfterMs?: number; metrics?: Metrics } = {},
) {
  configureLogging({ level: "silent" });
  const clock = fakeClock();
  const t = fakeTimers();
  const metrics = options.metrics ?? createMetrics();
  const store = new SqlPipelineStore(db, { clock: clock.now });
  const engine = new PipelineEngine<D>({
    store,
    dags,
    deps: options.deps as D,
    metrics,
    clock: clock.now,
    timers: t.timers,
    exclusive: options.exclusive,
    staleAfterMs: options.staleAfterMs,
    host: "test-host",
    pid: 1,
  });
  await engine.start();
  return { engine, store, clock, metrics, ...t };
}

/** The value of one labelled series of a metric. */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const m = metrics.registry.getSingleMetric(name);
  const data = await m?.get();
  return data?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)
  )?.value;
}
