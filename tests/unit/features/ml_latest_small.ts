/** Test helper: the bundled ml-latest-small ratings as interaction columns, read with a minimal CSV reader. */
import type { Interactions } from "../../../src/features/split.ts";

/** Reads data/ml-latest-small/ratings.csv (userId,movieId,rating,timestamp; no quoted fields). */
export async function readMlLatestSmall(): Promise<Interactions> {
  const url = new URL("../../../data/ml-latest-small/ratings.csv", import.meta.url);
  const lines = (await Deno.readTextFile(url)).trim().split("\n").slice(1);
  const users = new Int32Array(lines.length);
  const items = new Int32Array(lines.length);
  const timestamps = new Float64Array(lines.length);
  lines.forEach((line, k) => {
    const [u, i, , t] = line.split(",");
    users[k] = Number(u);
    items[k] = Number(i);
    timestamps[k] = Number(t);
  });
  return { users, items, timestamps };
}
