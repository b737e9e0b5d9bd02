/**
 * `bench browser`: the server on the stored data and production model, Chromium with a fresh
 * profile ranking 20 visitor histories in the page (src/bench/browser.ts), and the same
 * histories asked of the server to count identical top-10s.
 */
import type { Context } from "../context.ts";
import { localServer } from "./local_server.ts";
import { type BrowserFigures, rankInBrowser } from "./browser.ts";
import { chromiumMissing, launchChromium } from "./chromium.ts";
import { visitorHistories } from "./serve_load.ts";

/** The figures of {@link benchBrowser}. */
export interface BrowserBenchResult extends BrowserFigures {
  model_version: number | null;
  /** Histories whose in-browser top 10 (and explanations) equal the server's, of `histories`. */
  identical: number;
  mean_history_length: number;
  load_average_1m: number;
}

/** Runs the browser measurements; throws naming the Debian package when Chromium is missing. */
export async function benchBrowser(
  ctx: Context,
  o: { histories?: number; threads?: number } = {},
): Promise<BrowserBenchResult> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const server = await localServer(ctx, { threads: o.threads });
  const browser = await launchChromium();
  try {
    const h = server.serving.histories;
    const catalog = server.serving.catalog();
    const users = h.users().sort((a, b) => a - b).map((u) => h.get(u)!);
    const sets = visitorHistories(users, o.histories ?? 20).map((ids) =>
      ids.map((id) => ({ id, title: catalog.get(id)?.title ?? String(id) }))
    );
    const page = await browser.context.newPage();
    const { answers, figures } = await rankInBrowser(page, server.url, sets);
    let identical = 0;
    for (const [i, history] of sets.entries()) {
      const res = await fetch(`${server.url}/api/v1/recommendations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ history: history.map((m) => m.id), k: 10, explain: true }),
      });
      const items: { id: number; because: { id: number }[] }[] = (await res.json()).items;
      const same = JSON.stringify(items.map((it) => [it.id, it.because.map((b) => b.id)])) ===
        JSON.stringify(answers[i].ids.map((id, j) => [id, answers[i].because[j]]));
      if (same) identical++;
    }
    return {
      ...figures,
      model_version: server.serving.version(),
      identical,
      mean_history_length: Number(
        (sets.reduce((n, s) => n + s.length, 0) / sets.length).toFixed(1),
      ),
      load_average_1m: Number(Deno.loadavg()[0].toFixed(2)),
    };
  } finally {
    await browser.close();
    await server.shutdown();
  }
}
