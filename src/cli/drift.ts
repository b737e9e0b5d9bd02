/** `deno task drift`: checks data and recommendation drift now, stores the report and prints the scores. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { checkDrift } from "../observability/drift/check.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";

const HELP = `
deno task drift — check drift now, as the pipeline does at each publish and on its schedule:
  data             interactions newer than the production model's training snapshot against the
                   snapshot (PSI of genre mix, movie popularity buckets and user activity)
  recommendations  the newest batch of recommendations against the previous one (PSI of the
                   recommended genres, overlap@10)
The report is stored (the site's /admin/drift, the server's /metrics) and the scores printed; a
feature above REELRANK_DRIFT_THRESHOLD (default 0.2) is marked. Retraining on drift
(REELRANK_DRIFT_RETRAIN) starts only from the pipeline's scheduler, never from this command.

  --min-sample N   fewest recent interactions worth scoring [1000]
  --json           print the outcome as JSON
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    "min-sample": { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const minSample = intFlag("min-sample", values["min-sample"], 1000);
  const ctx = await openContext(config);
  try {
    const outcome = await checkDrift(ctx, {
      threshold: config.drift.threshold,
      retrain: false,
      minSample,
    });
    if (values.json) {
      console.log(JSON.stringify(outcome, null, 2));
      return;
    }
    for (const r of outcome.reports) {
      console.log(`${r.kind}: ${r.subject}, against ${r.reference} (report ${r.id})`);
      for (const [feature, psi] of Object.entries(r.scores)) {
        const mark = psi > r.threshold ? `  above the threshold ${r.threshold}` : "";
        console.log(`  ${feature.padEnd(20)} PSI ${psi.toFixed(4)}${mark}`);
      }
      if (r.overlapAt10 !== null) {
        console.log(`  ${"overlap@10".padEnd(20)} ${r.overlapAt10.toFixed(4)}`);
      }
    }
    for (const s of outcome.skipped) console.log(`${s.kind}: not checked: ${s.reason}`);
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
