/**
 * The served top-k on the production model, in one process: full float32 logits then topKRows
 * (the path before the int8 copy) against Net.rankRows, per batch size, on visitor-like histories;
 * with the certificate's full-row fallbacks and whether both paths give the same answers.
 */
import type { Context } from "../context.ts";
import { loadInteractions } from "../data/queries.ts";
import { Recommender } from "../model/mod.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { UserHistories } from "../serving/histories.ts";
import { visitorHistories } from "./serve_load.ts";

/** One batch size's figures (ms per call, best of the measurement). */
export interface TopKRow {
  batch: number;
  logits_ms: number;
  int8_ms: number;
  speedup: number;
}

/** What {@link benchTopK} measures. */
export interface TopKBenchResult {
  model_version: number;
  k: number;
  rows: TopKRow[];
  /** Histories checked for agreement, and how many went to full scoring. */
  histories: number;
  full_rows: number;
  /** Both paths returned the same movies with the same scores for every checked history. */
  identical: boolean;
  load_average_1m: number;
}

const BATCHES = [1, 4, 16, 32, 64];

// Best time (ms) of each of `a` and `b` over `seconds`, called alternately so that other work on
// the machine slows both alike.
function bestOfBoth(seconds: number, a: () => void, b: () => void): [number, number] {
  for (let i = 0; i < 3; i++) a(), b();
  const min = [Infinity, Infinity];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    [a, b].forEach((fn, i) => {
      const t = performance.now();
      fn();
      min[i] = Math.min(min[i], performance.now() - t);
    });
  }
  return [min[0], min[1]];
}

/** Measures both top-k paths on one kernel thread, call by call alternately, per batch size. */
export async function benchTopK(
  ctx: Pick<Context, "db" | "registry">,
  o: { seconds: number; k?: number },
): Promise<TopKBenchResult> {
  const k = o.k ?? 10;
  const version = await ctx.registry.getAlias(MODEL_NAME, PRODUCTION);
  if (!version) throw new Error("no production model to measure");
  const { bytes } = await ctx.registry.loadArtifact(MODEL_NAME, version.version);
  const histories = UserHistories.fromColumns(await loadInteractions(ctx.db));
  const users = histories.users().sort((a, b) => a - b).map((u) => histories.get(u)!);
  const model = await Recommender.open(bytes, { threads: 1, batchSize: 64 });
  try {
    const net = model.net;
    const visitors = visitorHistories(users, 1024).map((h) =>
      h.map((id) => model.indexOf(id)).filter((i) => i >= 0)
    );
    const slice = (s: number, n: number) => visitors.slice(s, s + n);
    // The transition term as served (Recommender.recommendMany): added to the float32 logits on
    // one path, through rankRows' exact added term on the other.
    const V = model.size;
    const t = model.transitions && model.transitions.weight > 0 ? model.transitions : undefined;
    const addTo = (hs: number[][], rows: Float32Array) =>
      hs.forEach((h, b) => t!.addTo(h, rows.subarray(b * V, (b + 1) * V)));
    const logitsTopK = (batch: ReturnType<typeof model.encode>, hs: number[][]) => {
      const logits = net.predict(batch);
      if (t) addTo(hs, logits);
      return net.topKRows(k, { exclude: hs });
    };
    const int8TopK = (batch: ReturnType<typeof model.encode>, hs: number[][]) =>
      net.rankRows(batch, k, { exclude: hs }, { add: t && ((rows) => addTo(hs, rows)) });
    let full = 0;
    let identical = true;
    // Agreement on batches of 8, where the logits come from the same dot products (rowDot).
    for (let s = 0; s < visitors.length; s += 8) {
      const hs = slice(s, 8);
      const batch = model.encode(hs);
      const want = logitsTopK(batch, hs);
      const got = int8TopK(batch, hs);
      full += got.fullRows;
      identical &&= want.ids.every((v, i) => v === got.ids[i]) &&
        want.scores.every((v, i) => Object.is(v, got.scores[i]));
    }
    const rows = BATCHES.map((B, n) => {
      const hs = slice((n * 64) % 960, B);
      const batch = model.encode(hs);
      const [logits, int8] = bestOfBoth(
        o.seconds,
        () => logitsTopK(batch, hs),
        () => int8TopK(batch, hs),
      );
      const r3 = (x: number) => Number(x.toFixed(3));
      return { batch: B, logits_ms: r3(logits), int8_ms: r3(int8), speedup: r3(logits / int8) };
    });
    return {
      model_version: version.version,
      k,
      rows,
      histories: visitors.length,
      full_rows: full,
      identical,
      load_average_1m: Number(Deno.loadavg()[0].toFixed(2)),
    };
  } finally {
    model.close();
  }
}
