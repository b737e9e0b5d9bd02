/**
 * `deno task bench families`: EASE's closed-form fit in the kernel against the machine's yardstick
 * (`python3 ../shared/bench/ease_fit.py`: NumPy + OpenBLAS, float64, the same matrix — every rating
 * of a MovieLens ratings.csv — and λ = 50), measured in the same sitting, both kernel routes
 * (low rank, dense Cholesky), plus ItemKNN's neighbour search, with the load average.
 */
import {
  type BinaryCsr,
  binaryCsr,
  easeFitBytes,
  easeMaxItems,
  type EasePath,
  easePath,
  EaseSolver,
  Kernel,
  nearestItems,
} from "../model/bench.ts";

/** What the benchmark prints. */
export interface FamiliesBench {
  items: number;
  users: number;
  threads: number;
  /** The yardstick's best time, or null when it could not run (with the reason). */
  yardstick_s: number | null;
  yardstick_note?: string;
  /** Best kernel fit per route, seconds; the route `auto` picks is first. */
  routes: { path: EasePath; auto: boolean; fit_s: number; ratio: number | null }[];
  itemknn_neighbours_s: number;
  memory_limit_mib: number;
  max_items_dense: number;
  load_average_before: number[];
  load_average_after: number[];
  cores: number;
}

/** Reads userId,movieId of a MovieLens ratings.csv as a binary users × items matrix. */
export async function readRatingsMatrix(path: string): Promise<BinaryCsr> {
  const lines = (await Deno.readTextFile(path)).trim().split("\n").slice(1);
  const users = new Map<number, number>(), items = new Map<number, number>();
  const pairs = lines.map((l) => {
    const [u, m] = l.split(",", 2).map(Number);
    return [u, m];
  });
  for (const u of [...new Set(pairs.map((p) => p[0]))].sort((a, b) => a - b)) {
    users.set(u, users.size);
  }
  for (const m of [...new Set(pairs.map((p) => p[1]))].sort((a, b) => a - b)) {
    items.set(m, items.size);
  }
  const lists: number[][] = Array.from({ length: users.size }, () => []);
  for (const [u, m] of pairs) lists[users.get(u)!].push(items.get(m)!);
  return binaryCsr(lists, items.size);
}

/** Runs the yardstick script; null with the reason when python3 or the script is missing. */
export async function runYardstick(
  script: string,
  ratings: string,
  repeats: number,
): Promise<{ seconds: number | null; note?: string }> {
  try {
    const out = await new Deno.Command("python3", {
      args: [script, ratings, "--repeats", String(repeats)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return {
        seconds: null,
        note: new TextDecoder().decode(out.stderr).trim().split("\n").at(-1),
      };
    }
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
    return { seconds: JSON.parse(line).ease_fit_s };
  } catch (err) {
    return { seconds: null, note: `cannot run python3 ${script}: ${(err as Error).message}` };
  }
}

/** Best of `repeats` EASE fits (λ = 50) of `x` on `route` in a fresh kernel. */
async function timeEase(x: BinaryCsr, route: EasePath, threads: number, repeats: number) {
  const kernel = await Kernel.create({
    threads,
    initialMiB: Math.ceil(easeFitBytes(x.cols, x.rows, route) / 1048576) + 16,
  });
  try {
    const solver = new EaseSolver(kernel, x, { path: route });
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      solver.fit(50);
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return best;
  } finally {
    kernel.close();
  }
}

/** The whole benchmark (see the module comment). */
export async function benchFamilies(options: {
  ratings: string;
  yardstick: string;
  threads: number;
  repeats: number;
  memoryMiB: number;
  dense: boolean;
}): Promise<FamiliesBench> {
  const cores = navigator.hardwareConcurrency || 1;
  const before = Deno.loadavg();
  const x = await readRatingsMatrix(options.ratings);
  const y = await runYardstick(options.yardstick, options.ratings, options.repeats);
  const auto = easePath(x.cols, x.rows);
  const paths: EasePath[] = [auto];
  if (options.dense && auto !== "dense") paths.push("dense");
  const routes = [];
  for (const path of paths) {
    const fit = await timeEase(x, path, options.threads, options.repeats);
    routes.push({
      path,
      auto: path === auto,
      fit_s: round(fit),
      ratio: y.seconds ? round(fit / y.seconds) : null,
    });
  }
  const knn = await timeNeighbours(x, options.threads);
  return {
    items: x.cols,
    users: x.rows,
    threads: options.threads,
    yardstick_s: y.seconds,
    yardstick_note: y.note,
    routes,
    itemknn_neighbours_s: round(knn),
    memory_limit_mib: options.memoryMiB,
    max_items_dense: easeMaxItems(options.memoryMiB * 1048576),
    load_average_before: before.map((v) => round(v)),
    load_average_after: Deno.loadavg().map((v) => round(v)),
    cores,
  };
}

// ItemKNN's 200 nearest movies of every movie (the largest k of its grid) on the same matrix.
async function timeNeighbours(x: BinaryCsr, threads: number): Promise<number> {
  const kernel = await Kernel.create({ threads });
  try {
    const t = performance.now();
    nearestItems(kernel, x, Math.min(200, x.cols - 1));
    return (performance.now() - t) / 1000;
  } finally {
    kernel.close();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
