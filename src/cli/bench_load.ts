/** `deno task bench load`: a minute of mixed traffic with a promotion in the middle; errors, latency and memory. */
import { benchLoad } from "../bench/load.ts";
import type { Config } from "../config.ts";
import { intFlag, numFlag } from "./args.ts";
import { withBenchData } from "./bench_data.ts";
import { formatTable } from "./table.ts";

/**
 * Default warm-up: long enough for V8's heap to reach its working size under this mix (measured:
 * after 10 s the heap was still growing towards it, so RSS "grew" 1.24–1.27× with no leak; after
 * 30 s it had, and RSS stayed within 4 %). See README, Reliability and security.
 */
const WARMUP_SECONDS = 30;

/** Runs the load benchmark with the parsed flags; exits 1 when a goal is missed. */
export async function loadBenchCommand(
  values: Record<string, string | boolean | undefined>,
  config: Config,
): Promise<void> {
  const s = (k: string) => values[k] as string | undefined;
  const json = values.json === true;
  await withBenchData(config, json, async (ctx, say) => {
    const r = await benchLoad(ctx, {
      seconds: numFlag("seconds", s("seconds"), 60),
      warmupSeconds: numFlag("warmup", s("warmup"), WARMUP_SECONDS),
      connections: intFlag("connections", s("connections"), 64),
      wrkThreads: intFlag("wrk-threads", s("wrk-threads"), 1),
      threads: config.threads,
      log: say,
    });
    const goals = [
      r.errors === 0 ? null : `${r.errors} failed requests (goal: 0)`,
      r.rss_ratio <= 1.1 ? null : `memory grew ${r.rss_ratio}× after warm-up (goal ≤ 1.1)`,
      r.promotion ? null : "no promotion happened",
    ].filter((g): g is string => g !== null);
    if (json) console.log(JSON.stringify(r));
    else {
      console.log(formatTable(["kind", "2xx", "other"], [
        ...Object.entries(r.by_kind).map(([k, v]) => [k, v.ok, v.bad]),
      ]));
      console.log(formatTable(["figure", "value"], [
        ["requests (req/s)", `${r.requests} (${r.rps})`],
        ["latency p50 / p99, ms", `${r.p50_ms} / ${r.p99_ms}`],
        ["failed requests", r.errors],
        [
          "promotion",
          r.promotion
            ? `${r.promotion.from} → ${r.promotion.to} at ${r.promotion.at_s} s (${r.promotion.took_ms} ms)`
            : "none",
        ],
        [
          "RSS after warm-up / end / max, MB",
          `${r.rss_after_warmup_mb} / ${r.rss_end_mb} / ${r.rss_max_mb}`,
        ],
        ["RSS end ÷ after warm-up", r.rss_ratio],
        [
          "live heap after GC, after warm-up / end, MB",
          r.heap_live_ratio === null
            ? "not measured (run with --v8-flags=--expose-gc)"
            : `${r.heap_live_after_warmup_mb} / ${r.heap_live_end_mb} (× ${r.heap_live_ratio})`,
        ],
        ["load average before / after", `${r.load_average.before} / ${r.load_average.after}`],
      ]));
      console.log(goals.length ? `\nmissed: ${goals.join("; ")}` : "\nall goals met");
    }
    if (goals.length) Deno.exitCode = 1;
  });
}
