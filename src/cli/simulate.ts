/** `deno task simulate`: virtual users browse the API while a canary splits them between two models; prints the online metrics and the rule's verdicts. */
import type { Config } from "../config.ts";
import { createContext } from "../context.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import type { Estimate } from "../online/stats.ts";
import type { ScenarioReport } from "../online/simulate.ts";
import { simulateCanary } from "../online/simulation.ts";
import { openObjectStore } from "../storage/open.ts";
import { intFlag, numFlag, parseFlags, runCli, UsageError } from "./args.ts";

const HELP = `
deno task simulate — online evaluation end to end, in a throwaway in-memory database:
virtual users (the generator's taste model) ask the API for recommendations, click what matches
their tastes (more often near the top) and watch some of it, while a canary serves a share of them
with the staging model. First the staging model is deliberately worse (trained on shuffled
histories): production must come out ahead and the promotion rule must refuse it. Then the roles
are reversed: the rule must promote. Prints the online metrics with 95 % intervals and verdicts.

  --users N            virtual users [600]
  --movies N           movies in the synthetic catalogue [300]
  --sessions N         sessions per user and scenario [3]
  --share X            canary share served by staging [0.5]
  --shadow X           share of production answers staging shadows [0.2]
  --min-impressions N  impressions per arm the rule needs [300]
  --alpha X            significance level of the one-sided test [0.05]
  --seed N             [7]
  --json               print the report as JSON
`;

function est(e: Estimate | undefined): string {
  if (!e || e.value === null) return "—";
  return `${e.value.toFixed(3)} [${e.low!.toFixed(3)}, ${e.high!.toFixed(3)}]`;
}

function print(name: string, r: ScenarioReport): void {
  console.log(`\n${name}`);
  for (const [arm, m] of [["production", r.production], ["staging", r.staging]] as const) {
    console.log(
      `  ${arm.padEnd(10)} v${m?.version ?? "-"}  impressions ${
        String(m?.impressions ?? 0).padStart(5)
      }  ` +
        `CTR@10 ${est(m?.ctr)}  watch rate ${est(m?.watchRate)}  1/position ${
          est(m?.reciprocalPosition)
        }`,
    );
  }
  if (r.shadow) {
    console.log(
      `  shadow     ${r.shadow.lists} lists, overlap@10 ${r.shadow.overlap10?.toFixed(3)}, ` +
        `watched movies in staging's list ${r.shadow.inStagingList?.toFixed(3) ?? "—"}`,
    );
  }
  const v = r.verdict;
  console.log(
    `  rule       z = ${v.z.toFixed(2)}, p = ${v.pValue.toPrecision(3)}: ${
      v.promoted ? "PROMOTED" : "refused"
    } — ${v.reason}`,
  );
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    users: { type: "string" },
    movies: { type: "string" },
    sessions: { type: "string" },
    share: { type: "string" },
    shadow: { type: "string" },
    "min-impressions": { type: "string" },
    alpha: { type: "string" },
    seed: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const share = numFlag("share", values.share, 0.5);
  const shadowShare = values.shadow === undefined ? 0.2 : Number(values.shadow);
  const alpha = numFlag("alpha", values.alpha, 0.05);
  if (!(share > 0 && share < 1)) throw new UsageError(`--share must be in (0, 1), got ${share}`);
  if (!(shadowShare >= 0 && shadowShare <= 1)) {
    throw new UsageError(`--shadow must be a number in [0, 1], got "${values.shadow}"`);
  }
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new UsageError(`--alpha must be in (0, 0.5), got ${alpha}`);
  }
  const tmp = await Deno.makeTempDir({ prefix: "reelrank-simulate-" });
  let t = Date.UTC(2026, 0, 1);
  const db = await openPglite();
  await migrate(db, { quiet: true });
  const objects = openObjectStore({ objectStoreUrl: `file://${tmp}`, s3: config.s3 });
  const ctx = createContext({ config, db, objects }, { clock: () => new Date(t) });
  try {
    const report = await simulateCanary(ctx, {
      users: intFlag("users", values.users, 600),
      movies: intFlag("movies", values.movies, 300),
      moviesPerUser: 30,
      sessions: intFlag("sessions", values.sessions, 3),
      share,
      shadowShare,
      minImpressions: intFlag("min-impressions", values["min-impressions"], 300),
      alpha,
      seed: intFlag("seed", values.seed, 7),
      advance: (ms) => void (t += ms),
      progress: values.json || config.ci ? undefined : (line) => console.error(line),
    });
    if (values.json) return void console.log(JSON.stringify(report, null, 2));
    print("Worse model (shuffled histories) on the canary:", report.worseOnCanary);
    print("Roles reversed, the better model on the canary:", report.betterOnCanary);
    console.log(
      `\nbuilt in ${report.seconds.build.toFixed(1)} s, scenarios in ${
        report.seconds.scenarios.toFixed(1)
      } s (${report.worseOnCanary.requests + report.betterOnCanary.requests} API requests); ` +
        `load ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    );
  } finally {
    await ctx.close();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await runCli(HELP, main);
