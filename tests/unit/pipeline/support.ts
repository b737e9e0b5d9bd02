/** Pipeline test support: timers that never wait, an engine on a test database, a deferred. */
import type { Database } from "../../../src/db/types.ts";
import { configureLogging } from "../../../src/log.ts";
import { createMetrics, type Metrics } from "../../../src/observability/metrics.ts";
import { type Dag, defineDag, type TaskSpec } from "../../../src/pipeline/dag.ts";
import { PipelineEngine } from "../../../src/pipeline/engine.ts";
import type { Timers } from "../../../src/pipeline/runner.ts";
import { SqlPipelineStore } from "../../../src/pipeline/sql_store.ts";
import { fakeClock } from "../tracking/support.ts";

/** A timeout the test fires by hand. */
export interface FakeTimeout {
  ms: number;
  cleared: boolean;
  fire(): void;
}

/** Timers for tests: sleeps are recorded and return at once; timeouts fire only when told. */
export function fakeTimers(): { timers: Timers; sleeps: number[]; timeouts: FakeTimeout[] } {
  const sleeps: number[] = [];
  const timeouts: FakeTimeout[] = [];
  return {
    sleeps,
    timeouts,
    timers: {
      sleep(ms, signal) {
        sleeps.push(ms);
        return signal.aborted ? Promise.reject(signal.reason) : Promise.resolve();
      },
      timeout(ms) {
        const c = new AbortController();
        const t: FakeTimeout = { ms, cleared: false, fire: () => c.abort() };
        timeouts.push(t);
        return { signal: c.signal, clear: () => void (t.cleared = true) };
      },
    },
  };
}

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

/**
 * A stand-in for the `recommend` DAG (API, CLI and page tests): `prepare` returns an object key,
 * `work` runs `work` with `retries` (parameter `k`, 1..9, default 5), and with `report` a third
 * task that always fails.
 */
export function standInDag(
  work: TaskSpec<unknown>["run"],
  options: { retries?: number; report?: boolean; description?: string } = {},
): Dag<unknown> {
  const tasks: TaskSpec<unknown>[] = [
    { id: "prepare", description: "prepare", run: () => Promise.resolve({ key: "objects/p.bin" }) },
    { id: "work", description: "work", upstream: ["prepare"], retries: options.retries, run: work },
  ];
  if (options.report) {
    tasks.push({
      id: "report",
      description: "report",
      upstream: ["work"],
      run: () => Promise.reject(new Error("no report")),
    });
  }
  return defineDag({
    id: "recommend",
    description: options.description ?? "a stand-in for the real DAG",
    params: { k: { type: "int", default: 5, min: 1, max: 9, help: "how many", task: "work" } },
    tasks,
  });
}
