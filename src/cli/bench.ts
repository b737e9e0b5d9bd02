/** `deno task bench kernel | serve | explain | browser | families | load | topk | scaling [--json] …`: kernel, serving, explanation, in-browser, family-fit and load figures. */
import { intFlag, numFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatTable } from "./table.ts";
import { benchKernel, HISTORY_LENGTH } from "../bench/kernel.ts";
import { browserBenchCommand, explainBenchCommand, topKBenchCommand } from "./bench_explain.ts";
import { loadBenchCommand } from "./bench_load.ts";
import { serveBenchCommand } from "./bench_serve.ts";
import { FAMILIES_BENCH_HELP, familiesBenchCommand } from "./bench_families.ts";
import { SCALING_BENCH_HELP, scalingBenchCommand } from "./bench_scaling.ts";

const HELP = `
deno task bench kernel [--json] [--threads N] [--seconds S]
deno task bench serve [--json] [--seconds S] [--connections N] [--scorer worker|local]
deno task bench explain [--json] [--seconds S] [--batch N]
deno task bench browser [--json] [--histories N]
deno task bench load [--json] [--seconds S] [--warmup S] [--connections N]
deno task bench topk [--json] [--seconds S] [--k K]

Measures the WASM kernel on this machine: its SIMD peak (register-only relaxed fused multiply-adds,
per thread and on N threads), the default recommender's training step and its served network
(FLOP per history, histories/s one at a time and 64 at a time), and a dense reference MLP
(128→256→256→4096, batch 256, full softmax) on 1 and N threads. Rates are also given as fractions
of the measured peak. Prints a table, or one JSON object with --json.

  --threads N   threads for the multi-threaded figures (default: REELRANK_THREADS / cores, max 2)
  --seconds S   seconds per measurement (default 1.5)
  --json        print one JSON object instead of the table

serve starts the API on the stored data (ingesting the bundled MovieLens set and training the
default model first when there is none) and drives it with wrk (Debian package wrk) at 64
connections: GET /api/v1/users/{id}/recommendations over every user, POST
/api/v1/recommendations with histories of 5-50 movies (always the model, no cache), GET /health
as the ceiling, then scores the same histories in-process at the batch sizes the POSTs used.

  --seconds S            seconds per wrk run (default 10 for serve)
  --connections N        wrk connections (default 64)
  --wrk-threads N        wrk threads (default 1: the other core serves)
  --scorer worker|local  where the model runs: a worker (default) or the main thread
  --max-batch N          micro-batch limit (default 64)

explain measures, on the stored data and production model (set up as for serve), what
explanations cost: the served scorer (a worker) ranking one history at a time — visitor-like
histories of 5-50 movies and users' whole histories — and --batch N at a time (default 32),
without and with explain, then POST /api/v1/recommendations through the app without a socket.
--seconds S per measurement (default 3).

browser starts the server on the same data and drives Debian's Chromium (package chromium) with a
fresh profile: --histories N visitor histories (default 20) ranked in the page, printing the
downloads' sizes on the wire, the time to the first in-browser recommendation on a cold and a warm
cache, the time of one ranking, and how many top-10s equal the server's.

${FAMILIES_BENCH_HELP}

${SCALING_BENCH_HELP}

topk loads the production model (made as for serve) and times its top-K (--k, default 10, at most
128) per batch size (1, 4, 16, 32, 64 visitor histories, one kernel thread, --seconds S per size,
default 2): from the full float32 logits then topKRows, and through the int8 copy of the output
table (Net.rankRows); it also checks on 1,024 histories that both give the same movies and scores,
and counts the histories the int8 path had to score in full.

load serves the stored data (made as for serve) and drives it with one wrk script for --warmup
seconds (default 10), then --seconds (default 60) at --connections (default 64): 50% users'
recommendations, 20% visitors' histories, 20% movie pages, 10% watch events (stored: they
add to the users' histories). Half-way through it promotes the production artifact registered
again as a new version (it stays in the registry; production is moved back at the end). Prints
answers by kind, p50/p99, failed requests, the promotion, resident memory after the warm-up and
at the end; exits 1 when a request failed, memory grew over 10 % or no promotion happened.

  --warmup S             seconds of warm-up before memory is taken (default 30)
`;

await runCli(HELP, async (argv, config) => {
  const { values, positionals } = parseFlags(argv, {
    json: { type: "boolean" },
    threads: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string" },
    "wrk-threads": { type: "string" },
    scorer: { type: "string" },
    "max-batch": { type: "string" },
    batch: { type: "string" },
    histories: { type: "string" },
    ratings: { type: "string" },
    yardstick: { type: "string" },
    repeats: { type: "string" },
    "no-dense": { type: "boolean" },
    warmup: { type: "string" },
    k: { type: "string" },
    sets: { type: "string" },
    seed: { type: "string" },
    path: { type: "string" },
  });
  const target = positionals[0] ?? "kernel";
  if (target === "serve") return await serveBenchCommand(values, config);
  if (target === "explain") return await explainBenchCommand(values, config);
  if (target === "browser") return await browserBenchCommand(values, config);
  if (target === "families") return await familiesBenchCommand(values, config);
  if (target === "load") return await loadBenchCommand(values, config);
  if (target === "topk") return await topKBenchCommand(values, config);
  if (target === "scaling") return await scalingBenchCommand(values, config);
  if (target !== "kernel") {
    throw new UsageError(
      `unknown benchmark "${target}", expected "kernel", "serve", "explain", "browser", "families", "load", "topk" or "scaling"`,
    );
  }
  const r = await benchKernel({
    threads: intFlag("threads", values.threads, config.threads),
    seconds: numFlag("seconds", values.seconds, 1.5),
  });
  if (values.json) {
    console.log(JSON.stringify(r));
    return;
  }
  const T = r.threads;
  console.log(formatTable(["figure", "value"], [
    ["SIMD peak GFLOP/s, 1 thread (measured)", r.simd_peak_gflops_1t],
    [`SIMD peak GFLOP/s, ${T} threads (measured)`, r.simd_peak_gflops],
    ["model training steps/s (batch 256, sampled softmax), 1 thread", r.model_train_steps_per_s_1t],
    [
      "  GFLOP/s and fraction of the 1-thread peak",
      `${r.model_train_gflops_1t}  (${r.model_train_peak_fraction_1t})`,
    ],
    [
      `served MFLOP per history (${HISTORY_LENGTH} movies)`,
      (r.served_flop_per_history / 1e6).toFixed(2),
    ],
    ["served histories/s, one at a time, 1 thread", r.served_histories_per_s_b1],
    ["served histories/s, 64 at a time, 1 thread", r.served_histories_per_s_b64],
    ["  fraction of the 1-thread peak", r.served_b64_peak_fraction],
    [
      "top-10s/s from float32 logits, one / 64 at a time, 1 thread",
      `${r.top10_logits_per_s_b1} / ${r.top10_logits_per_s_b64}`,
    ],
    [
      "top-10s/s through int8 bounds + exact rescoring, one / 64",
      `${r.top10_int8_per_s_b1} / ${r.top10_int8_per_s_b64}`,
    ],
    [`checkpoint of the default shape, MB`, (r.checkpoint_bytes / 1e6).toFixed(2)],
    ["loading it (read, sha256, decode, arena), ms", r.load_ms],
    ["dense MLP training steps/s, 1 thread", r.dense_train_steps_per_s_1t],
    [`dense MLP training steps/s, ${T} threads`, r.dense_train_steps_per_s],
    ["  fraction of peak, 1 thread", r.dense_train_peak_fraction_1t],
    [`  fraction of peak, ${T} threads`, r.dense_train_peak_fraction],
  ]));
  if (r.load_average_1m > r.cores * 0.5) {
    console.log(
      `\nnote: load average ${r.load_average_1m} on ${r.cores} cores before the run: other work shared ` +
        "the cores, so wall-clock figures (multi-threaded ones most) are below what this machine does idle.",
    );
  }
});
