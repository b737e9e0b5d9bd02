/** DAGs as data: tasks (id, upstream ids, retries, backoff, timeout, one function), validated when defined. */
import { invalid } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ParamTable, ParamValues } from "./params.ts";

/** A task result: small JSON (ids and object keys, never local paths or bytes). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a task's function gets besides its upstream results. */
export interface TaskContext<D> {
  /** The pipeline run's id. */
  runId: string;
  dag: string;
  /**
   * The idempotency key of the run: the DAG and its logical date (`recommend-20260101T030000Z`).
   * Every write a task makes is keyed by it (or by the run id), so a retried task, or the DAG
   * re-run for the same logical date, writes the same rows again instead of new ones.
   */
  key: string;
  logicalDate: Date;
  /** The run's parameters, every one resolved (defaults filled in, values checked). */
  params: ParamValues;
  /** 1 for the first try, 2 for the first retry… */
  attempt: number;
  /** Aborted when the attempt times out or the engine stops: long work must check it. */
  signal: AbortSignal;
  /** This attempt's logger: lines go to stderr (LOG_LEVEL) and are stored with the attempt. */
  log: Logger;
  /** The stores and services the DAG's tasks use. */
  deps: D;
}

/** A task: data plus one function. */
export interface TaskSpec<D> {
  id: string;
  /** One line saying what it does (help, the site). */
  description: string;
  /** Tasks whose results this one needs; it runs after all of them succeeded. */
  upstream?: readonly string[];
  /** Retries after the first attempt (default 0); a permanent error is never retried. */
  retries?: number;
  /** Wait before the first retry (default 10 s); then × `backoff` per retry, at most `maxRetryDelayMs`. */
  retryDelayMs?: number;
  /** Growth of the wait between retries (default 2: exponential backoff). */
  backoff?: number;
  /** Longest wait between retries (default 10 min). */
  maxRetryDelayMs?: number;
  /** An attempt running longer is aborted through `ctx.signal` and counts as a timeout (default 1 h). */
  timeoutMs?: number;
  /**
   * The work. Receives the results of its upstream tasks by task id; returns its own result,
   * which must be small JSON (the engine stores it and refuses anything over 64 KB).
   */
  run(ctx: TaskContext<D>, upstream: Readonly<Record<string, Json>>): Promise<unknown>;
}

/** A task with every default filled in. */
export type Task<D> = Required<Omit<TaskSpec<D>, "upstream">> & { upstream: readonly string[] };

/** A validated DAG: its tasks in a dependency order. */
export interface Dag<D> {
  id: string;
  description: string;
  /** Tasks in topological order (each after all its upstream tasks; ties in definition order). */
  tasks: readonly Task<D>[];
  /** Edges `[upstream, downstream]`, in task order. */
  edges: readonly (readonly [string, string])[];
  /** The run parameters it takes. */
  params: ParamTable;
  task(id: string): Task<D>;
}

const ID = /^[a-z][a-z0-9_]{0,62}$/;

function withDefaults<D>(t: TaskSpec<D>): Task<D> {
  // An option given as undefined takes its default too.
  const given = Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
  const task: Task<D> = {
    retries: 0,
    retryDelayMs: 10_000,
    backoff: 2,
    maxRetryDelayMs: 10 * 60_000,
    timeoutMs: 60 * 60_000,
    ...given as TaskSpec<D>,
    upstream: [...(t.upstream ?? [])],
  };
  const bad = (what: string, v: unknown) => {
    throw invalid(`task "${t.id}": ${what}, got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(task.retries) || task.retries < 0) {
    bad("retries must be an integer ≥ 0", task.retries);
  }
  if (!(task.retryDelayMs >= 0)) bad("retryDelayMs must be ≥ 0", task.retryDelayMs);
  if (!(task.backoff >= 1)) bad("backoff must be ≥ 1", task.backoff);
  if (!(task.maxRetryDelayMs >= task.retryDelayMs)) {
    bad("maxRetryDelayMs must be ≥ retryDelayMs", task.maxRetryDelayMs);
  }
  if (!(task.timeoutMs > 0)) bad("timeoutMs must be > 0", task.timeoutMs);
  if (typeof task.run !== "function") bad("run must be a function", typeof task.run);
  return task;
}

/**
 * Validates and orders a DAG. Throws INVALID_PARAMETER naming the problem: a bad or duplicate task
 * id, an unknown upstream id, a task upstream of itself, or a cycle (listing its tasks).
 */
export function defineDag<D>(
  def: { id: string; description: string; params: ParamTable; tasks: readonly TaskSpec<D>[] },
): Dag<D> {
  if (!ID.test(def.id)) {
    throw invalid(
      `DAG id must be lower-case letters, digits and _ (a letter first), got "${def.id}"`,
    );
  }
  const byId = new Map<string, Task<D>>();
  for (const spec of def.tasks) {
    if (typeof spec.id !== "string" || !ID.test(spec.id)) {
      throw invalid(
        `DAG "${def.id}": task id must be lower-case letters, digits and _ (a letter first), got ${
          JSON.stringify(spec.id)
        }`,
      );
    }
    if (byId.has(spec.id)) throw invalid(`DAG "${def.id}": two tasks have the id "${spec.id}"`);
    byId.set(spec.id, withDefaults(spec));
  }
  if (byId.size === 0) throw invalid(`DAG "${def.id}" has no tasks`);
  for (const t of byId.values()) {
    for (const u of t.upstream) {
      if (u === t.id) throw invalid(`DAG "${def.id}": task "${t.id}" lists itself upstream`);
      if (!byId.has(u)) {
        throw invalid(
          `DAG "${def.id}": task "${t.id}" has an unknown upstream task "${u}"; tasks are ${
            [...byId.keys()].join(", ")
          }`,
        );
      }
    }
  }
  const tasks = topologicalOrder(def.id, [...byId.values()]);
  const edges = tasks.flatMap((t) => t.upstream.map((u) => [u, t.id] as const));
  return {
    id: def.id,
    description: def.description,
    tasks,
    edges,
    params: def.params,
    task(id: string): Task<D> {
      const t = byId.get(id);
      if (!t) {
        throw invalid(
          `DAG "${def.id}" has no task "${id}"; tasks are ${[...byId.keys()].join(", ")}`,
        );
      }
      return t;
    },
  };
}

// Kahn's algorithm, taking ready tasks in definition order so the order is stable.
function topologicalOrder<D>(dag: string, tasks: Task<D>[]): Task<D>[] {
  const done = new Set<string>();
  const out: Task<D>[] = [];
  while (out.length < tasks.length) {
    const ready = tasks.find((t) => !done.has(t.id) && t.upstream.every((u) => done.has(u)));
    if (!ready) {
      const left = tasks.filter((t) => !done.has(t.id));
      throw invalid(`DAG "${dag}" has a cycle among ${cycleOf(left).join(" → ")}`);
    }
    done.add(ready.id);
    out.push(ready);
  }
  return out;
}

// Among tasks that are all blocked, walking upstream from any of them must come back to a task
// already seen: that loop is the cycle to name.
function cycleOf<D>(left: Task<D>[]): string[] {
  const byId = new Map(left.map((t) => [t.id, t]));
  const path: string[] = [];
  let cur = left[0];
  while (!path.includes(cur.id)) {
    path.push(cur.id);
    cur = byId.get(cur.upstream.find((u) => byId.has(u))!)!;
  }
  const loop = path.slice(path.indexOf(cur.id)).reverse();
  return [...loop, loop[0]];
}

/** Every task downstream of `id` (transitively), and `id` itself. */
export function downstreamOf<D>(dag: Dag<D>, id: string): Set<string> {
  dag.task(id);
  const out = new Set([id]);
  for (const t of dag.tasks) if (t.upstream.some((u) => out.has(u))) out.add(t.id);
  return out;
}
