/** Pipeline test helpers shared by the unit, API, page and browser tests: timers that never wait, a stand-in DAG. */
import { type Dag, defineDag, type TaskSpec } from "../../src/pipeline/dag.ts";
import type { Timers } from "../../src/pipeline/runner.ts";

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
