/** `deno task train`: train on what the database holds, log a run, register a version, apply the gate. */
import type { Config } from "../config.ts";
import { openContext, reapAbandonedRuns } from "../context.ts";
import { DEFAULT_PARAMS, type TrainParams } from "../model/train.ts";
import { trainAndRegister } from "../model/train_run.ts";
import { gitCommit, latestSnapshotId } from "./lineage.ts";
import { intFlag, numFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatEpoch, formatEvaluation } from "./report.ts";

const HELP = `
deno task train — train the recommender on the stored interactions, track the run, register the
model version and promote it if its validation NDCG@10 beats production.

Options (defaults in brackets):
  --epochs N          most epochs; early stopping on validation NDCG@10 [${DEFAULT_PARAMS.epochs}]
  --patience N        epochs without improvement before stopping [${DEFAULT_PARAMS.patience}]
  --hidden N[,N…]     hidden layer sizes [${DEFAULT_PARAMS.hidden.join(",")}]
  --batch N           mini-batch size [${DEFAULT_PARAMS.batchSize}]
  --lr X              Adam learning rate [${DEFAULT_PARAMS.lr}]
  --weight-decay X    decoupled weight decay [${DEFAULT_PARAMS.weightDecay}]
  --dropout X         dropout on hidden activations [${DEFAULT_PARAMS.dropout}]
  --input-dropout X   dropout on input movies [${DEFAULT_PARAMS.inputDropout}]
  --members N         independently seeded models averaged into one [${DEFAULT_PARAMS.members}]
  --average-top N     each member's weights: mean of its N best epochs [${DEFAULT_PARAMS.averageTop}]
  --negatives N       sampled-softmax negatives per batch, 0 = full softmax [${DEFAULT_PARAMS.negatives}]
  --prefixes N        training prefixes sampled per user and epoch [${DEFAULT_PARAMS.prefixesPerUser}]
  --seed N            seed for initialisation, sampling and shuffling [${DEFAULT_PARAMS.seed}]
  --json              print the result as JSON (no progress lines)
`;

/** Reads the training flags shared by `train` and `start`. */
export function trainParamsFromFlags(
  values: Record<string, string | boolean | undefined>,
): Partial<TrainParams> {
  const s = (k: string) => values[k] as string | undefined;
  const out: Partial<TrainParams> = {};
  if (s("epochs") !== undefined) out.epochs = intFlag("epochs", s("epochs"), 1);
  if (s("patience") !== undefined) out.patience = intFlag("patience", s("patience"), 1);
  if (s("batch") !== undefined) out.batchSize = intFlag("batch", s("batch"), 2, 2);
  if (s("negatives") !== undefined) out.negatives = intFlag("negatives", s("negatives"), 0, 0);
  if (s("prefixes") !== undefined) out.prefixesPerUser = intFlag("prefixes", s("prefixes"), 1);
  if (s("members") !== undefined) out.members = intFlag("members", s("members"), 1);
  if (s("average-top") !== undefined) out.averageTop = intFlag("average-top", s("average-top"), 1);
  if (s("input-dropout") !== undefined) out.inputDropout = Number(s("input-dropout"));
  if (s("seed") !== undefined) out.seed = intFlag("seed", s("seed"), 1, 0);
  if (s("lr") !== undefined) out.lr = numFlag("lr", s("lr"), 1);
  if (s("weight-decay") !== undefined) out.weightDecay = Number(s("weight-decay"));
  if (s("dropout") !== undefined) out.dropout = Number(s("dropout"));
  if (s("hidden") !== undefined) {
    const hidden = s("hidden")!.split(",").map(Number);
    if (hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw new UsageError(
        `--hidden must be comma-separated positive integers, got "${s("hidden")}"`,
      );
    }
    out.hidden = hidden;
  }
  for (const k of ["weight-decay", "dropout", "input-dropout"] as const) {
    const v = s(k);
    const below1 = k !== "weight-decay";
    if (v !== undefined && !(Number(v) >= 0 && Number(v) < (below1 ? 1 : Infinity))) {
      throw new UsageError(`--${k} must be a number ≥ 0${below1 ? " and < 1" : ""}, got "${v}"`);
    }
  }
  return out;
}

/** The flag table for the training options. */
export const TRAIN_FLAGS = {
  epochs: { type: "string" },
  patience: { type: "string" },
  hidden: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  "weight-decay": { type: "string" },
  dropout: { type: "string" },
  "input-dropout": { type: "string" },
  members: { type: "string" },
  "average-top": { type: "string" },
  negatives: { type: "string" },
  prefixes: { type: "string" },
  seed: { type: "string" },
} as const;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, { ...TRAIN_FLAGS, json: { type: "boolean" } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const params = trainParamsFromFlags(values);
  const ctx = await openContext(config);
  try {
    await reapAbandonedRuns(ctx);
    const progress = !values.json && !config.ci;
    const result = await trainAndRegister(ctx, {
      params,
      snapshotId: await latestSnapshotId(ctx.db),
      codeVersion: await gitCommit(),
      onEpoch: progress ? (e) => console.error(formatEpoch(e)) : undefined,
      exitOnSignal: true,
    });
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
      }, ` +
        `trained in ${result.trainSeconds.toFixed(1)} s`,
    );
    console.log(formatEvaluation([{ name: "reelrank MLP", evaluation: result.model }, {
      name: "popularity",
      evaluation: result.popularity,
    }]));
    console.log(`\nregistered version ${result.version}: ${result.decision.reason}`);
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
