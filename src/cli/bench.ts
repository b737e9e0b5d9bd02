/** `deno task bench kernel | serve [--json] …`: kernel and serving speed figures. */
import { intFlag, numFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatTable } from "./table.ts";
import { benchKernel, SIMD_GFLOPS_PER_CORE, trainGflop } from "../bench/kernel.ts";
import { serveBenchCommand } from "./bench_serve.ts";

const HELP = `
deno task bench kernel [--json] [--threads N] [--seconds S]
deno task bench serve [--json] [--seconds S] [--connections N] [--scorer worker|local]

Measures the WASM kernel: recsys training (128→256→256→4096, batch 256, BatchNorm, Adam) on 1 and
N threads, the seed shape (3→256→256→200, batch 16), batch-1 and batch-256 inference, and a
10k-item sparse-input model. Prints a table, or one JSON object with --json.

  --threads N   threads for the multi-threaded figures (default: REELRANK_THREADS / cores, max 2)
  --seconds S   seconds per measurement (default 1.5)
  --json        print one JSON object instead of the table

serve starts the API on the stored data (ingesting the bundled MovieLens set and training the
default model first when there is none) and drives it with wrk (Debian package wrk) at 64
connections: GET /api/v1/users/{id}/recommendations over every user, POST
/api/v1/recommendations with histories of 5-50 movies (always the model, no cache), GET /health
as the ceiling, then scores the same histories in-process at the batch sizes the POSTs used.

  --seconds S         seconds per wrk run (default 10 for serve)
  --connections N     wrk connections (default 64)
  --wrk-threads N     wrk threads (default 1: the second core serves)
  --scorer worker|local  where the model runs (default worker)
  --max-batch N       micro-batch limit (default 64)
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
  });
  const target = positionals[0] ?? "kernel";
  if (target === "serve") return await serveBenchCommand(values, config);
  if (target !== "kernel") {
    throw new UsageError(`unknown benchmark "${target}", expected "kernel" or "serve"`);
  }
  const r = await benchKernel({
    threads: intFlag("threads", values.threads, config.threads),
    seconds: numFlag("seconds", values.seconds, 1.5),
  });
  if (values.json) {
    console.log(JSON.stringify(r));
    return;
  }
  const g = trainGflop({ input: 128, hidden: [256, 256], output: 4096, batchSize: 256 });
  console.log(formatTable(["figure", "value", "goal"], [
    ["recsys train steps/s, 1 thread", r.recsys_train_steps_per_s_1t, ""],
    [`recsys train steps/s, ${r.threads} threads`, r.recsys_train_steps_per_s_2t, "≥ 35"],
    [
      `recsys train GFLOP/s, ${r.threads} threads (${g.toFixed(2)} GFLOP/step)`,
      r.recsys_train_gflops_2t,
      "≥ 60",
    ],
    [
      `fraction of SIMD limit (${SIMD_GFLOPS_PER_CORE} GFLOP/s/core), 1 thread`,
      r.recsys_simd_fraction_1t,
      "",
    ],
    [`fraction of SIMD limit, ${r.threads} threads`, r.recsys_simd_fraction_2t, ""],
    ["inference batch 1, per s (1 thread)", r.infer_b1_per_s, "≥ 10000"],
    [`inference batch 256, samples/s (${r.threads} threads)`, r.infer_b256_samples_per_s, ""],
    ["inference batch 256, samples/s (1 thread)", r.infer_b256_samples_per_s_1t, ""],
    [`seed train steps/s (${r.threads} threads)`, r.seed_train_steps_per_s, "≥ 3000"],
    ["seed train steps/s (1 thread)", r.seed_train_steps_per_s_1t, ""],
    [`sparse 10k-item train steps/s (${r.threads} threads)`, r.sparse10k_train_steps_per_s, ""],
    ["recsys train steps per CPU-second, 1 thread", r.recsys_train_steps_per_cpu_s_1t, ""],
    ["inference batch 1 per CPU-second", r.infer_b1_per_cpu_s, ""],
    ["seed train steps per CPU-second, 1 thread", r.seed_train_steps_per_cpu_s_1t, ""],
    [
      `recsys train steps/s, ${r.threads} threads, est. own cores`,
      r.recsys_train_steps_per_s_2t_own_cores,
      "",
    ],
    [
      `seed train steps/s, ${r.threads} threads, est. own cores`,
      r.seed_train_steps_per_s_own_cores,
      "",
    ],
  ]));
  if (r.load_average_1m > r.cores * 0.5) {
    console.log(
      `\nnote: load average ${r.load_average_1m} on ${r.cores} cores before the run: other work shared ` +
        "the cores, so wall-clock figures (multi-threaded ones most) are below what this machine does idle.",
    );
  }
});
