/**
 * The MLP's budgeted hyperparameter search: a handful of configurations drawn from values of the
 * one hyperparameter table (training/hyperparams.ts, which checks every value), the defaults first,
 * tried in order until the time budget — a multiple of the EASE yardstick — would be exceeded.
 */
import { Prng } from "../../random.ts";
import { checkParam, type ParamName, type TrainParams } from "../training/hyperparams.ts";

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
