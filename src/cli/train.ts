/** `deno task train`: train on what the database holds, log a run, register a version, apply the gate. */
import type { Config } from "../config.ts";
import { openContext, reapAbandonedRuns } from "../context.ts";
import {
  type EpochLog,
  flagOf,
  PARAM_NAMES,
  paramsHelp,
  parseParam,
  resolveParams,
  type StepProgress,
  trainAndRegister,
  type TrainParams,
} from "../model/mod.ts";
import { gitCommit, latestSnapshotId } from "./lineage.ts";
import { parseFlags, runCli, UsageError } from "./args.ts";
import { TrainingProgress } from "./progress.ts";
import { formatEpoch, formatEvaluation } from "./report.ts";
import { familiesFromFlags, FAMILY_FLAGS, FAMILY_HELP, formatFamilies } from "./train_families.ts";

const HELP = `
deno task train — train the recommender on the stored interactions, track the run, register the
model version and promote it if its validation NDCG@10 beats production.

Options (defaults in brackets):
${paramsHelp()}
${FAMILY_HELP}
  --json             print the result as JSON (no progress output)
`;

/** The flag table for the training options (one string flag per hyperparameter). */
export const TRAIN_FLAGS = Object.fromEntries(
  PARAM_NAMES.map((k) => [flagOf(k), { type: "string" as const }]),
) as Record<string, { type: "string" }>;

/** Reads the training flags shared by `train` and `start`; a bad value is a usage error. */
export function trainParamsFromFlags(
  values: Record<string, string | boolean | undefined>,
): Partial<TrainParams> {
  const out: Record<string, unknown> = {};
  for (const k of PARAM_NAMES) {
    const raw = values[flagOf(k)];
    if (typeof raw !== "string") continue;
    try {
      out[k] = parseParam(k, raw);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return out as Partial<TrainParams>;
}

/** Where progress is written: stderr, or a stand-in in tests. */
export interface ProgressOut {
  isTerminal(): boolean;
  writeSync(bytes: Uint8Array): number;
}

/**
 * Where training progress goes: a redrawn bar on a terminal, one line per epoch when `out` (default
 * stderr) is a file, nothing in CI (`config.ci`) or with --json, whose stdout is the result alone.
 */
export function progressReporter(
  options: { json: boolean; ci: boolean; members: number; epochs: number; out?: ProgressOut },
): {
  onEpoch?: (log: EpochLog) => void;
  onStep?: (p: StepProgress) => void;
  finish: () => void;
} {
  if (options.json || options.ci) return { finish: () => {} };
  const out = options.out ?? Deno.stderr;
  const encoder = new TextEncoder();
  const write = (text: string) => void out.writeSync(encoder.encode(text));
  if (!out.isTerminal()) {
    return { onEpoch: (e) => write(`${formatEpoch(e)}\n`), finish: () => {} };
  }
  const bar = new TrainingProgress({ members: options.members, epochs: options.epochs, write });
  return {
    onEpoch: (e) => bar.epoch(e),
    onStep: (p) => bar.step(p),
    finish: () => bar.finish(),
  };
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    ...TRAIN_FLAGS,
    ...FAMILY_FLAGS,
    json: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const params = trainParamsFromFlags(values);
  const ctx = await openContext(config);
  try {
    await reapAbandonedRuns(ctx);
    const compared = await familiesFromFlags(ctx, values, params);
    if (compared) {
      console.log(values.json ? JSON.stringify(compared, null, 2) : formatFamilies(compared));
      return;
    }
    const resolved = resolveParams(params);
    const progress = progressReporter({
      json: !!values.json,
      ci: config.ci,
      members: resolved.members,
      epochs: resolved.epochs,
    });
    const result = await trainAndRegister(ctx, {
      params,
      snapshotId: await latestSnapshotId(ctx.db),
      codeVersion: await gitCommit(),
      onEpoch: progress.onEpoch,
      onStep: progress.onStep,
      exitOnSignal: true,
    }).finally(progress.finish);
    if (values.json) {
      const { model, popularity, ...rest } = result;
      const strip = (e: typeof model) => ({
        validation: { ...e.validation, ranks: undefined },
        test: { ...e.test, ranks: undefined },
      });
      console.log(
        JSON.stringify({ ...rest, model: strip(model), popularity: strip(popularity) }, null, 2),
      );
      return;
    }
    console.log(
      `run ${result.runId}: ${result.users} users, ${result.items} movies, best epochs ${
        result.bestEpochs.join(", ")
      }, transition weight ${result.transitionWeight}, ` +
        `trained in ${result.trainSeconds.toFixed(1)} s`,
    );
    console.log(formatEvaluation([{ name: "reelrank", evaluation: result.model }, {
      name: "popularity",
      evaluation: result.popularity,
    }]));
    console.log(`\nregistered version ${result.version}: ${result.decision.reason}`);
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
