/** `deno task bench explain | browser | topk`: explanations' cost, in-browser ranking's figures in Chromium, the served top-k's two paths. */
import { benchExplain } from "../bench/explain.ts";
import { benchBrowser } from "../bench/in_browser.ts";
import { benchTopK } from "../bench/topk.ts";
import type { Config } from "../config.ts";
import type { Context } from "../context.ts";
import { intFlag, numFlag, UsageError } from "./args.ts";
import { withBenchData } from "./bench_data.ts";
import { formatTable } from "./table.ts";

type Flags = Record<string, string | boolean | undefined>;

const LOAD_NOTE = (load: number) =>
  `\nload average ${load} at the end: other work shared the cores when it is near or above 2.`;

// Data and model in place, then `measure`; prints its result as JSON (--json) or with `print`.
async function run<T>(
  values: Flags,
  config: Config,
  steps: { measure: (ctx: Context) => Promise<T>; print: (r: T) => void },
): Promise<void> {
  const json = values.json === true;
  await withBenchData(config, json, async (ctx) => {
    const r = await steps.measure(ctx);
    if (json) console.log(JSON.stringify(r));
    else steps.print(r);
  }, { needsWrk: false });
}

/** `bench explain`: the scorer and the visitor route with and without `explain`. */
export function explainBenchCommand(values: Flags, config: Config): Promise<void> {
  return run(values, config, {
    measure: (ctx) =>
      benchExplain(ctx, {
        seconds: numFlag("seconds", values.seconds as string | undefined, 3),
        batch: intFlag("batch", values.batch as string | undefined, 32),
        threads: config.threads,
      }),
    print: (r) => {
      console.log(formatTable(["measurement", "plain", "explain", "ratio"], [
        [
          `scorer, one visitor history (${r.visitor_mean_length} movies), ms`,
          r.visitor_ms_plain,
          r.visitor_ms_explain,
          (r.visitor_ms_explain / r.visitor_ms_plain).toFixed(1),
        ],
        [
          `scorer, one user's whole history (${r.user_mean_length} movies), ms`,
          r.user_ms_plain,
          r.user_ms_explain,
          (r.user_ms_explain / r.user_ms_plain).toFixed(1),
        ],
        [
          `scorer, visitor histories/s at batch ${r.batch}`,
          r.visitor_per_s_plain,
          r.visitor_per_s_explain,
          (r.visitor_per_s_plain / r.visitor_per_s_explain).toFixed(1),
        ],
        [
          "POST /api/v1/recommendations in-process, ms",
          r.route_ms_plain,
          r.route_ms_explain,
          (r.route_ms_explain / r.route_ms_plain).toFixed(1),
        ],
      ]));
      console.log(`model version ${r.model_version}${LOAD_NOTE(r.load_average_1m)}`);
    },
  });
}

/** `bench browser`: in-browser ranking of 20 visitor histories in Chromium. */
export function browserBenchCommand(values: Flags, config: Config): Promise<void> {
  return run(values, config, {
    measure: (ctx) =>
      benchBrowser(ctx, {
        histories: intFlag("histories", values.histories as string | undefined, 20),
        threads: config.threads,
      }),
    print: (r) => {
      const d = (x: { transferBytes: number; encodedBytes: number; decodedBytes: number } | null) =>
        x ? `${x.transferBytes} (${x.encodedBytes} body, ${x.decodedBytes} decoded)` : "—";
      console.log(formatTable(["figure", "value"], [
        ["model artifact on the wire, bytes", d(r.downloads.artifact)],
        ["catalogue on the wire, bytes", d(r.downloads.catalog)],
        ["kernel.wasm on the wire, bytes", d(r.downloads.kernel)],
        ["in-browser ranker script on the wire, bytes", d(r.downloads.ranker)],
        ["first in-browser recommendation, cold cache, ms after navigation", r.coldFirstMs],
        ["first in-browser recommendation, model cached, ms (median)", r.warmFirstMs],
        [
          "one ranking of 10 with explanations, ms (median / p90)",
          `${r.rankMedianMs} / ${r.rankP90Ms}`,
        ],
        [
          `histories identical to the server's top 10 and explanations`,
          `${r.identical} of ${r.histories}`,
        ],
      ]));
      console.log(
        `model version ${r.model_version}, histories of ${r.mean_history_length} movies on average` +
          LOAD_NOTE(r.load_average_1m),
      );
    },
  });
}

// --k for bench topk: the batched top-k's range.
function topKFlag(value: string | undefined): number {
  const k = intFlag("k", value, 10);
  if (k > 128) throw new UsageError(`--k must be at most 128, got ${k}`);
  return k;
}

/** `bench topk`: the production model's top-k from float32 logits and through int8, per batch size. */
export function topKBenchCommand(values: Flags, config: Config): Promise<void> {
  return run(values, config, {
    measure: (ctx) =>
      benchTopK(ctx, {
        seconds: numFlag("seconds", values.seconds as string | undefined, 2),
        k: topKFlag(values.k as string | undefined),
      }),
    print: (r) => {
      console.log(formatTable(
        ["histories per call", "logits + topKRows, ms", "int8 rankRows, ms", "speed-up"],
        r.rows.map((x) => [x.batch, x.logits_ms, x.int8_ms, `${x.speedup} ×`]),
      ));
      console.log(
        `\nmodel version ${r.model_version}, top-${r.k}, 1 kernel thread; ${r.histories} visitor ` +
          `histories: ${r.full_rows} scored in full, answers ${
            r.identical ? "identical" : "DIFFERENT"
          } to the bit` + LOAD_NOTE(r.load_average_1m),
      );
    },
  });
}
