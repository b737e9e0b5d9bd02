/** `deno task bench scaling`: the default model and EASE on sets of other sizes; training time against interactions. */
import type { Config } from "../config.ts";
import { benchScaling, SCALING_SETS, type ScalingSet } from "../bench/scaling.ts";
import { intFlag, UsageError } from "./args.ts";
import { formatTable } from "./table.ts";

/** Help lines of the scaling benchmark. */
export const SCALING_BENCH_HELP =
  `deno task bench scaling [--json] [--sets LIST] [--seed N] [--path DIR]

The default recommender beyond the bundled set: from the MovieLens folder (--path, default
data/ml-latest-small) it builds ${SCALING_SETS.join(", ")} —
the whole set, every rating before the 40th / 70th percentile timestamp, and seeded virtual users
over the same catalogue (as many users as the folder has, and five times as many) — and trains
EASE (λ = 50) and the default model (--seed, default 1) on each with the protocol of
shared/EVALUATION.md. Prints each set's test NDCG@10 (popularity, EASE, the default model),
training seconds and seconds per 100,000 interactions, and how the training time grew from the
1× to the 5× virtual set against the interactions, for the whole training and for one epoch
(≤ 1: no faster than linear; the number of epochs is early stopping's). A few minutes.

  --sets LIST   comma-separated subset of the sets above (default: all)`;

/** Runs the benchmark from parsed flags and prints a table or JSON. */
export async function scalingBenchCommand(
  values: Record<string, string | boolean | undefined>,
  config: Config,
): Promise<void> {
  const here = new URL("../../", import.meta.url).pathname;
  const sets = ((values.sets as string | undefined) ?? SCALING_SETS.join(","))
    .split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of sets) {
    if (!(SCALING_SETS as readonly string[]).includes(s)) {
      throw new UsageError(
        `--sets: unknown set "${s}", expected some of ${SCALING_SETS.join(", ")}`,
      );
    }
  }
  const json = values.json === true;
  const r = await benchScaling({
    folder: (values.path as string | undefined) ?? `${here}data/ml-latest-small`,
    sets: sets as ScalingSet[],
    seed: intFlag("seed", values.seed as string | undefined, 1),
    threads: config.threads,
    memoryMiB: config.familyMemoryMiB,
    log: json || config.ci ? undefined : (line) => console.error(line),
  });
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(formatTable(
    [
      "set",
      "interactions",
      "users",
      "popularity",
      "EASE",
      "default model",
      "training s",
      "s per 100k",
      "epochs",
      "s per epoch",
    ],
    r.rows.map((x) => [
      x.set,
      x.interactions,
      x.users,
      x.popularity_test_ndcg10.toFixed(4),
      x.ease_test_ndcg10.toFixed(4),
      x.test_ndcg10.toFixed(4),
      x.train_seconds.toFixed(1),
      x.seconds_per_100k.toFixed(2),
      x.epochs.join(" / "),
      x.epoch_seconds.toFixed(2),
    ]),
  ));
  console.log("(test NDCG@10; EASE λ = 50; the default model with seed " + r.seed + ")");
  if (r.growth) {
    console.log(
      `virtual-1x → virtual-5x: ${r.growth.interactions} × the interactions, ` +
        `${r.growth.seconds} × the training time (${r.growth.per_interaction} per interaction), ` +
        `${r.growth.epoch_seconds} × an epoch's (${r.growth.epoch_per_interaction} per ` +
        `interaction); ≤ 1 is no faster than linear`,
    );
  }
  console.log(
    `load average before / after: ${r.load_average_before.join(" ")} / ${
      r.load_average_after.join(" ")
    }`,
  );
}
