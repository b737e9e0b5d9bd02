/** `deno task bench families`: EASE's kernel fit as a ratio to the NumPy yardstick, both routes, ItemKNN's neighbours. */
import type { Config } from "../config.ts";
import { benchFamilies } from "../bench/families.ts";
import { intFlag } from "./args.ts";
import { formatTable } from "./table.ts";

/** Help lines of the families benchmark. */
export const FAMILIES_BENCH_HELP =
  `deno task bench families [--json] [--ratings CSV] [--yardstick PY] [--repeats N] [--no-dense]

EASE's fit (λ = 50, every rating of the CSV, as the yardstick fits it) in the kernel, timed in the
same sitting as python3 ../shared/bench/ease_fit.py (NumPy + OpenBLAS, float64): the route reelrank
picks (low rank when users < items) and the dense Cholesky route, each as a ratio to the
yardstick (goal ≤ 3), plus ItemKNN's 200 nearest movies of every movie; load average before and after.

  --ratings CSV     default data/ml-latest-small/ratings.csv
  --yardstick PY    default ../shared/bench/ease_fit.py (also looked for two levels up)
  --repeats N       best of N, for both (default 2)
  --no-dense        skip the dense route when reelrank picks the low-rank one`;

/** Runs the benchmark from parsed flags and prints a table or JSON. */
export async function familiesBenchCommand(
  values: Record<string, string | boolean | undefined>,
  config: Config,
): Promise<void> {
  const here = new URL("../../", import.meta.url).pathname;
  const ratings = (values.ratings as string | undefined) ??
    `${here}data/ml-latest-small/ratings.csv`;
  const yardstick = (values.yardstick as string | undefined) ??
    [`${here}../shared/bench/ease_fit.py`, `${here}../../shared/bench/ease_fit.py`].find(exists) ??
    `${here}../shared/bench/ease_fit.py`;
  const r = await benchFamilies({
    ratings,
    yardstick,
    threads: intFlag("threads", values.threads as string | undefined, config.threads),
    repeats: intFlag("repeats", values.repeats as string | undefined, 2),
    memoryMiB: config.familyMemoryMiB,
    dense: !values["no-dense"],
  });
  if (values.json) {
    console.log(JSON.stringify(r));
    return;
  }
  const s = (v: number | null) => (v === null ? "—" : v.toFixed(2));
  console.log(formatTable(["figure", "value"], [
    ["matrix (users × items, every rating)", `${r.users} × ${r.items}`],
    [
      "yardstick: python3 ease_fit.py, best s",
      r.yardstick_s === null ? `— (${r.yardstick_note})` : s(r.yardstick_s),
    ],
    ...r.routes.map((q) => [
      `EASE fit in the kernel, ${q.path} route${
        q.auto ? " (reelrank's choice)" : ""
      }, ${r.threads} threads, s`,
      `${s(q.fit_s)}  (ratio ${s(q.ratio)})`,
    ]),
    ["ItemKNN: 200 nearest movies of every movie, s", s(r.itemknn_neighbours_s)],
    [`largest catalogue EASE fits in ${r.memory_limit_mib} MiB (dense route)`, r.max_items_dense],
    [
      "load average before / after",
      `${r.load_average_before.join(" ")} / ${r.load_average_after.join(" ")}`,
    ],
  ]));
  if (Math.max(r.load_average_before[0], r.load_average_after[0]) > r.cores * 0.5) {
    console.log(
      `\nnote: load average above half of the ${r.cores} cores: other work shared the machine with both the yardstick and the kernel.`,
    );
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
