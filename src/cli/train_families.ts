/** `deno task train --families …`: the family comparison (trainFamilies) from the command line, and its report. */
import type { Context } from "../context.ts";
import {
  type ChildSummary,
  parseFamilies,
  trainFamilies,
  type TrainFamiliesResult,
  type TrainParams,
} from "../model/mod.ts";
import { intFlag, numFlag, UsageError } from "./args.ts";
import { gitCommit, latestSnapshotId } from "./lineage.ts";
import { formatTable } from "./table.ts";

/** The flags `train` takes for a family comparison. */
export const FAMILY_FLAGS = {
  families: { type: "string" as const },
  lambdas: { type: "string" as const },
  ks: { type: "string" as const },
  search: { type: "string" as const },
  "search-budget": { type: "string" as const },
};

/** Help lines of {@link FAMILY_FLAGS}. */
export const FAMILY_HELP =
  `  --families LIST    train these families (mlp, ease, itemknn) as child runs of one comparison
                     and register the best on validation NDCG@10 [only the MLP, as one run]
  --lambdas L,L,…    with --families: EASE's λ grid [10,25,50,100,200,500]
  --ks K,K,…         with --families: ItemKNN's k grid [10,20,50,100,200]
  --search N         with --families: the MLP is a search over N configurations of the table
  --search-budget X  the search's time budget in EASE fits on this data [40]`;

/** Runs the comparison the flags ask for; null when `--families` is absent. */
export async function familiesFromFlags(
  ctx: Context,
  values: Record<string, string | boolean | undefined>,
  params: Partial<TrainParams>,
): Promise<TrainFamiliesResult | null> {
  if (typeof values.families !== "string") {
    for (const flag of ["search", "search-budget", "lambdas", "ks"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --families`);
    }
    return null;
  }
  let families;
  try {
    families = parseFamilies(values.families.split(","));
  } catch (err) {
    throw new UsageError(`--families: ${(err as Error).message}`);
  }
  const search = values.search === undefined ? undefined : {
    configs: intFlag("search", values.search as string, 4),
    budgetEase: numFlag("search-budget", values["search-budget"] as string | undefined, 40),
  };
  return await trainFamilies(ctx, {
    families,
    params,
    lambdas: grid("lambdas", values.lambdas, false),
    ks: grid("ks", values.ks, true),
    search,
    snapshotId: await latestSnapshotId(ctx.db),
    codeVersion: await gitCommit(),
    exitOnSignal: true,
  });
}

// A comma-separated grid of positive numbers (integers for k); undefined keeps the default.
function grid(flag: string, raw: unknown, integer: boolean): number[] | undefined {
  if (typeof raw !== "string") return undefined;
  const values = raw.split(",").map((v) => (v.trim() === "" ? NaN : Number(v)));
  if (!values.every((v) => v > 0 && (!integer || Number.isInteger(v)))) {
    throw new UsageError(
      `--${flag} must be comma-separated positive ${
        integer ? "integers" : "numbers"
      }, got "${raw}"`,
    );
  }
  return values;
}

/** The comparison as a table, then the registered version and the gate's reason. */
export function formatFamilies(r: TrainFamiliesResult): string {
  const f4 = (x?: number) => (x === undefined ? null : x.toFixed(4));
  const row = (c: ChildSummary) => {
    const m = c.metrics ?? {};
    return [
      `${c.family}${c.runId === r.best.runId ? " *" : ""}`,
      c.status === "trained" ? "trained" : `${c.status}: ${c.reason}`,
      f4(m.val_ndcg10),
      f4(m.test_ndcg10),
      f4(m.strict_test_ndcg10),
      f4(m.test_coverage10),
      f4(m.test_gini10),
      m.test_novelty === undefined ? null : m.test_novelty.toFixed(2),
      f4(m.test_diversity10),
      c.trainSeconds === undefined ? null : c.trainSeconds.toFixed(1),
    ];
  };
  const table = formatTable(
    [
      "family",
      "status",
      "val NDCG@10",
      "test NDCG@10",
      "strictly later",
      "coverage@10",
      "Gini@10",
      "novelty",
      "diversity@10",
      "train s",
    ],
    r.children.map(row),
  );
  const head = `comparison run ${r.runId}: ${r.users} users, ${r.items} movies` +
    (r.easeFitSeconds === undefined ? "" : `; one EASE fit ${r.easeFitSeconds.toFixed(2)} s`);
  const search = r.search?.stopped
    ? `\nMLP search stopped early: ${r.search.stopped}`
    : r.search?.skipped
    ? `\n${r.search.skipped}`
    : "";
  const tail = r.version === undefined
    ? ""
    : `\nregistered ${r.best.family} as version ${r.version}: ${r.decision!.reason}`;
  return `${head}\n${table}${search}${tail}`;
}
