/** `deno task evaluate`: the protocol's metrics for a registered model next to popularity, and top-k export. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { loadAllMovies } from "../data/catalog_queries.ts";
import { rawMovieIds } from "../data/queries.ts";
import {
  beyondMetrics,
  evaluateFull,
  exportTopK,
  flatMetrics,
  loadSplit,
  modelScorer,
  popularityScorer,
} from "../model/mod.ts";
import { loadModel } from "../serving/current_model.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatBeyond, formatEvaluation } from "./report.ts";

const HELP = `
deno task evaluate — evaluate the production model (or --model VERSION) on the stored data with
the leave-last-two-out protocol (shared/EVALUATION.md), next to the popularity baseline: ranking
metrics, beyond-accuracy figures of the top-10 lists (coverage, Gini, popularity percentile,
novelty, genre diversity) and the tie-aware line (users whose test movie is strictly later)

  --model VERSION       a registered version instead of production
  --json                print the metrics as JSON
  --export-topk FILE    write the test-position top-k of every user as TSV: user_id, rank, movie_id
  --k N                 k for --export-topk [20]
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    model: { type: "string" },
    json: { type: "boolean" },
    "export-topk": { type: "string" },
    k: { type: "string" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const version = values.model === undefined ? undefined : intFlag("model", values.model, 1);
  const k = intFlag("k", values.k, 20);
  if (values.k !== undefined && values["export-topk"] === undefined) {
    throw new UsageError("--k goes with --export-topk FILE");
  }
  const ctx = await openContext(config);
  try {
    const loaded = await loadModel(ctx, { version });
    try {
      const split = await loadSplit(ctx);
      const scorer = modelScorer(loaded.model, split.universe);
      const genres = new Map((await loadAllMovies(ctx.db)).map((m) => [m.id, m.genres]));
      const model = await evaluateFull(split, scorer, { genres });
      const popularity = await evaluateFull(split, popularityScorer(split), { genres });
      if (values["export-topk"]) {
        const raw = await rawMovieIds(ctx.db);
        const tsv = await exportTopK(split, scorer, { k, rawId: (id) => raw.get(id) ?? id });
        await Deno.writeTextFile(values["export-topk"], tsv);
      }
      if (values.json) {
        console.log(JSON.stringify(
          {
            modelVersion: loaded.version.version,
            users: split.users.length,
            items: split.universe.size,
            family: loaded.model.family,
            model: { ...flatMetrics(model), ...beyondMetrics(model) },
            popularity: { ...flatMetrics(popularity), ...beyondMetrics(popularity) },
          },
          null,
          2,
        ));
        return;
      }
      console.log(
        `model version ${loaded.version.version} (${loaded.model.family}) on ${split.users.length} users, ${split.universe.size} movies`,
      );
      const rows = [
        { name: `reelrank v${loaded.version.version}`, evaluation: model },
        { name: "popularity", evaluation: popularity },
      ];
      console.log(formatEvaluation(rows));
      console.log(`\n${formatBeyond(rows)}`);
      if (values["export-topk"]) console.log(`\ntop-${k} written to ${values["export-topk"]}`);
    } finally {
      loaded.model.close();
    }
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
