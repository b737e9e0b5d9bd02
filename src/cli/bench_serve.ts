/** `deno task bench serve`: data and a production model in place, then the serving benchmark's figures. */
import { benchServe } from "../bench/serve.ts";
import type { Config } from "../config.ts";
import { intFlag, numFlag, UsageError } from "./args.ts";
import { withBenchData } from "./bench_data.ts";
import { formatTable } from "./table.ts";

/** Runs the serving benchmark with the parsed flags. */
export async function serveBenchCommand(
  values: Record<string, string | boolean | undefined>,
  config: Config,
): Promise<void> {
  const s = (k: string) => values[k] as string | undefined;
  const scorer = s("scorer") ?? "worker";
  if (scorer !== "worker" && scorer !== "local") {
    throw new UsageError(`--scorer must be worker or local, got "${scorer}"`);
  }
  const json = values.json === true;
  await withBenchData(config, json, async (ctx, say) => {
    const r = await benchServe(ctx, {
      seconds: numFlag("seconds", s("seconds"), 10),
      connections: intFlag("connections", s("connections"), 64),
      wrkThreads: intFlag("wrk-threads", s("wrk-threads"), 1),
      maxBatch: intFlag("max-batch", s("max-batch"), 64),
      threads: config.threads,
      scorer,
      log: say,
    });
    if (json) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(formatTable(["measurement", "req/s", "p50 ms", "p99 ms"], [
      ["(1) GET users/{id}/recommendations", r.rps, r.p50_ms, r.p99_ms],
      ["(2) POST recommendations (model, no cache)", r.infer_rps, r.infer_p50_ms, r.infer_p99_ms],
      ["(3) GET /health (ceiling)", r.ceiling_rps, r.ceiling_p50_ms, r.ceiling_p99_ms],
      [`(4) in-process histories/s at batch ${r.mean_batch}`, r.capacity_per_s, null, null],
    ]));
    if (r.infer_cpu_us) {
      const c = r.infer_cpu_us;
      console.log(
        `\nCPU per POST in (2): main thread ${c.main_us} µs, workers (scorer, kernel) ` +
          `${c.workers_us} µs, other runtime threads ${c.other_us} µs`,
      );
    }
    console.log(
      `\nratio (1)/(3) = ${r.ratio} (goal ≥ 0.5); infer_ratio (2)/(4) = ${r.infer_ratio} ` +
        `(goal ≥ 0.5, with p99 ≤ 10 ms); model version ${r.model_version}, scorer ${r.scorer}, ` +
        `${r.connections} connections, ${r.seconds} s per run${
          r.errors ? `, ${r.errors} errors` : ""
        }`,
    );
  });
}
