/**
 * The MLP's budgeted hyperparameter search: a handful of configurations drawn from values of the
 * one hyperparameter table (training/hyperparams.ts, which checks every value), the defaults first,
 * tried in order until the time budget — a multiple of the EASE yardstick — would be exceeded.
 * Where no EASE fit can run (its matrix over the memory limit) the search is skipped, with the
 * reason on the parent run, and the MLP trains once.
 */
import { getLogger } from "../../log.ts";
import { Prng } from "../../random.ts";
import type { ActiveRun } from "../../tracking/run.ts";
import { checkParam, type ParamName, type TrainParams } from "../training/hyperparams.ts";

const log = getLogger("model/families");

/** The values tried per hyperparameter; each must pass the table's own check (a test proves it). */
export const SEARCH_SPACE: Readonly<Partial<Record<ParamName, readonly number[]>>> = {
  lr: [2.5e-3, 5e-3, 1e-2],
  dim: [48, 64, 96],
  weightDecay: [0.02, 0.05, 0.1],
  dropout: [0.2, 0.3, 0.4],
  negativePower: [0.25, 0.5, 0.75],
};

/**
 * `count` distinct configurations: the table's defaults (no overrides) first, then seeded draws
 * of one value per searched hyperparameter. Every value is checked against the table.
 */
export function searchConfigs(count: number, seed = 1): Partial<TrainParams>[] {
  const names = Object.keys(SEARCH_SPACE) as ParamName[];
  for (const name of names) for (const v of SEARCH_SPACE[name]!) checkParam(name, v);
  const out: Partial<TrainParams>[] = [{}];
  const seen = new Set([JSON.stringify({})]);
  const prng = new Prng(seed);
  for (let tries = 0; out.length < count && tries < 1000; tries++) {
    const config = Object.fromEntries(names.map((name) => {
      const values = SEARCH_SPACE[name]!;
      return [name, values[prng.int(values.length)]];
    })) as Partial<TrainParams>;
    const key = JSON.stringify(config);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(config);
    }
  }
  return out;
}

/**
 * Whether another configuration fits: the time spent plus the slowest configuration so far must
 * stay within the budget (the first always runs, so the search returns a model).
 */
export function fitsBudget(spent: readonly number[], budgetSeconds: number): boolean {
  if (spent.length === 0) return true;
  const total = spent.reduce((a, b) => a + b, 0);
  return total + Math.max(...spent) <= budgetSeconds;
}

/** What a budgeted search did. */
export interface SearchSummary {
  /** The budget; absent when the search was skipped (it has no unit then). */
  budgetSeconds?: number;
  /** Configurations drawn and configurations trained. */
  configs: number;
  ran: number;
  /** Set when the budget stopped the search before every configuration ran. */
  stopped?: string;
  /** Set when the search did not run at all, and why (the MLP then trained once). */
  skipped?: string;
}

/**
 * The search: {@link searchConfigs} over `job.params`, trained in order through `job.train` while
 * {@link fitsBudget} allows, the budget being `budgetEase` × `job.easeFitSeconds`. Why it stopped
 * early is logged and tagged on the parent run (`search_stopped`); the budget and the count of
 * configurations run are logged to it as metrics.
 */
export async function runSearch(
  spec: { configs: number; budgetEase: number; seed: number },
  job: {
    parent: ActiveRun;
    easeFitSeconds: number;
    params?: Partial<TrainParams>;
    train: (params: Partial<TrainParams>, name: string) => Promise<unknown>;
  },
): Promise<SearchSummary> {
  const budget = spec.budgetEase * job.easeFitSeconds;
  const configs = searchConfigs(spec.configs, spec.seed);
  const spent: number[] = [];
  let stopped: string | undefined;
  for (const [i, config] of configs.entries()) {
    if (!fitsBudget(spent, budget)) {
      const used = spent.reduce((a, b) => a + b, 0);
      stopped = `the search budget is spent: ${i} of ${configs.length} configurations took ${
        used.toFixed(2)
      } s, another could take ${Math.max(...spent).toFixed(2)} s more, over the budget of ${
        budget.toFixed(2)
      } s (${spec.budgetEase} EASE fits of ${job.easeFitSeconds.toFixed(3)} s)`;
      log.info(stopped, { run_id: job.parent.id });
      await job.parent.setTags({ search_stopped: stopped });
      break;
    }
    const started = performance.now();
    await job.train({ ...job.params, ...config }, `mlp search ${i + 1}/${configs.length}`);
    spent.push((performance.now() - started) / 1000);
  }
  const ran = spent.length;
  await job.parent.logMetrics({ search_budget_seconds: budget, search_configs_run: ran });
  return { budgetSeconds: budget, configs: configs.length, ran, ...(stopped ? { stopped } : {}) };
}

/**
 * Records that the search cannot run because its budget's unit, one EASE fit on this data, cannot
 * be measured (`why`: EASE's matrix over the memory limit). The caller trains the MLP once with
 * its parameters instead. The reason is logged and tagged on the parent run (`search_skipped`).
 */
export async function skipSearch(
  spec: { configs: number },
  job: { parent: ActiveRun; why: string },
): Promise<SearchSummary> {
  const skipped =
    `the MLP search was skipped and the MLP trained once with the given parameters: ` +
    `the search's budget is counted in EASE fits, and none can run on this data (${job.why})`;
  log.warn(skipped, { run_id: job.parent.id });
  await job.parent.setTags({ search_skipped: skipped });
  await job.parent.logMetrics({ search_configs_run: 0 });
  return { configs: spec.configs, ran: 0, skipped };
}
