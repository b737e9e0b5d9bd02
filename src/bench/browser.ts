/**
 * In-browser ranking measured in a real page: each history is stored as a visitor's and the home
 * page loaded, then the grid's in-browser answer is read with the browser's own timing entries —
 * what was downloaded (bytes on the wire), when the first in-browser answer was on screen, and
 * how long each ranking (top 10 and their explanations) took.
 */
/// <reference lib="dom" />
import type { Page } from "playwright-core";
import { FIRST_MARK, RANK_MEASURE } from "../../web/client/timing.ts";
import { HISTORY_KEY } from "../../web/client/visitor_history.ts";

/** A history as the page stores it. */
export type StoredHistory = { id: number; title: string }[];

/** The cards of one in-browser answer: movie ids and, per card, the ids it was explained by. */
export interface BrowserAnswer {
  ids: number[];
  because: number[][];
}

/** One download as Resource Timing saw it. */
export interface DownloadFigure {
  /** Bytes on the wire, headers included (0 when it came from a cache). */
  transferBytes: number;
  /** Body bytes as sent (compressed when the server compressed it). */
  encodedBytes: number;
  decodedBytes: number;
}

/** The figures of a run. */
export interface BrowserFigures {
  /** The model artifact, the catalogue, the kernel and the ranker's script, on the cold load. */
  downloads: Record<"artifact" | "catalog" | "kernel" | "ranker", DownloadFigure | null>;
  /** Navigation start → first in-browser answer on screen, nothing downloaded before. */
  coldFirstMs: number;
  /** The same on later loads (model cached), median. */
  warmFirstMs: number;
  /** One ranking of 10 movies with their explanations, in the page: median, 90th percentile. */
  rankMedianMs: number;
  rankP90Ms: number;
  histories: number;
}

const PATTERNS = {
  artifact: /\/api\/v1\/models\/\d+\/artifact$/,
  catalog: /\/api\/v1\/catalog\/[0-9a-f]{64}$/,
  kernel: /\/static\/kernel-[0-9a-f]+\.wasm$/,
  ranker: /\/static\/browser_ranker-[^/]+\.js$/,
};

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Stores `history` as the visitor's before the page's own scripts run on its next load, unless
 * the page already keeps one: the first load of "/" is then the visitor's first visit.
 */
export async function seedHistory(page: Page, history: StoredHistory): Promise<void> {
  await page.addInitScript(([k, h]) => {
    if (localStorage.getItem(k) === null) localStorage.setItem(k, h);
  }, [HISTORY_KEY, JSON.stringify(history)]);
}

/** Waits until the grid shows an answer ranked in this browser for a history of `n` movies. */
export async function rankedHere(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (n) =>
      (document.querySelector(".recs-title")?.textContent ?? "").includes(
        `in this browser from your ${n} watched`,
      ) && document.querySelector(".recs")?.getAttribute("aria-busy") !== "true",
    n,
  );
}

/** The cards on the page: ids and the ids of the movies each names in "Because you watched". */
export function readCards(page: Page): Promise<BrowserAnswer> {
  return page.locator(".card").evaluateAll((els) => ({
    ids: els.map((e) => Number((e as HTMLElement).dataset.movieId)),
    because: els.map((e) =>
      [...e.querySelectorAll(".because a")].map((a) =>
        Number(a.getAttribute("href")!.split("/").pop())
      )
    ),
  }));
}

/**
 * Ranks every history in the page at `origin` and returns the answers with the figures. `page`
 * must come from a fresh browser profile: its first load of the home page is the cold one, when
 * the page, its scripts and the model are all fetched for the first time. `onVisit` hears each
 * history just before the page that ranks it is loaded.
 */
export async function rankInBrowser(
  page: Page,
  origin: string,
  histories: readonly StoredHistory[],
  options: { onVisit?: (history: StoredHistory) => void } = {},
): Promise<{ answers: BrowserAnswer[]; figures: BrowserFigures }> {
  await seedHistory(page, histories[0]);
  const answers: BrowserAnswer[] = [];
  const firsts: number[] = [];
  const ranks: number[] = [];
  let downloads: BrowserFigures["downloads"] | undefined;
  for (const [i, history] of histories.entries()) {
    if (i > 0) {
      await page.evaluate(([k, h]) => localStorage.setItem(k, h), [
        HISTORY_KEY,
        JSON.stringify(history),
      ]);
    }
    options.onVisit?.(history);
    await page.goto(`${origin}/`);
    await rankedHere(page, history.length);
    answers.push(await readCards(page));
    const t = await page.evaluate(([first, rank]) => ({
      first: performance.getEntriesByName(first)[0]?.startTime ?? NaN,
      ranks: performance.getEntriesByName(rank).map((e) => e.duration),
      resources: (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).map(
        (r) => ({
          name: r.name,
          transferBytes: r.transferSize,
          encodedBytes: r.encodedBodySize,
          decodedBytes: r.decodedBodySize,
        }),
      ),
    }), [FIRST_MARK, RANK_MEASURE]);
    firsts.push(t.first);
    ranks.push(...t.ranks);
    downloads ??= Object.fromEntries(
      Object.entries(PATTERNS).map(([key, re]) => {
        const r = t.resources.find((r) => re.test(new URL(r.name).pathname));
        if (!r) return [key, null];
        const { transferBytes, encodedBytes, decodedBytes } = r;
        return [key, { transferBytes, encodedBytes, decodedBytes }];
      }),
    ) as BrowserFigures["downloads"];
  }
  const warm = firsts.slice(1);
  return {
    answers,
    figures: {
      downloads: downloads!,
      coldFirstMs: Math.round(firsts[0]),
      warmFirstMs: warm.length ? Math.round(quantile(warm, 0.5)) : NaN,
      rankMedianMs: Number(quantile(ranks, 0.5).toFixed(2)),
      rankP90Ms: Number(quantile(ranks, 0.9).toFixed(2)),
      histories: histories.length,
    },
  };
}
