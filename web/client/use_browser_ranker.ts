/**
 * The grid's handle on in-browser ranking: the ranker chunk loaded on first use and kept, and,
 * while the page ranks here, a check for a new production version every minute and whenever the
 * page becomes visible again (downloaded and swapped in the background).
 */
import { useEffect, useRef } from "preact/hooks";
import type { BrowserAnswer, BrowserRanker } from "./browser_ranker.ts";
import { apiJson, postJson } from "./api.ts";
import { fetchUsablePointer, ServerOnlyModel } from "./model_store.ts";
import { FIRST_MARK, RANK_MEASURE } from "./timing.ts";

/** How often a page ranking here asks whether the server has a new model. */
const VERSION_CHECK_MS = 60_000;

/** What the page hears about background updates. */
export interface UpdateEvents {
  /** A new version (or catalogue) ranks here now. */
  onUpdated: (version: number) => void;
  onError: (message: string) => void;
  /** The new production model cannot rank here (its family): rank on the server, saying why. */
  onServerOnly: (reason: string) => void;
}

/**
 * Returns `rank(history, options)`: ranks in this browser, loading the model on the first call.
 * The pointer is asked first: for a model this page cannot rank with (its family) the call fails
 * with ServerOnlyModel before the ranker's script, the kernel or the artifact is downloaded.
 */
export function useBrowserRanker(
  kernelUrl: string | null,
  options: { active: boolean } & UpdateEvents,
) {
  const ranker = useRef<Promise<BrowserRanker> | null>(null);
  const events = useRef<UpdateEvents>(options);
  events.current = options;

  function open(): Promise<BrowserRanker> {
    if (!kernelUrl) return Promise.reject(new Error("this site has no kernel build"));
    return ranker.current ??= fetchUsablePointer()
      .then(async (pointer) =>
        (await import("./browser_ranker.ts")).BrowserRanker.open(kernelUrl, pointer)
      )
      .catch((err) => {
        ranker.current = null;
        throw err;
      });
  }

  useEffect(() => {
    if (!options.active) return;
    const check = async () => {
      if (!ranker.current || document.visibilityState !== "visible") return;
      let r: BrowserRanker | undefined;
      try {
        r = await ranker.current;
        if (await r.update()) events.current.onUpdated(r.version);
      } catch (err) {
        if (!(err instanceof ServerOnlyModel)) {
          return events.current.onError((err as Error).message);
        }
        // The new production model cannot rank here: this one is dropped, the server ranks.
        ranker.current = null;
        r?.close();
        events.current.onServerOnly(err.message);
      }
    };
    const timer = setInterval(check, VERSION_CHECK_MS);
    document.addEventListener("visibilitychange", check);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", check);
    };
  }, [options.active]);

  return async (
    history: readonly number[],
    o: { k: number; genre?: string; visitorId?: string },
  ): Promise<BrowserAnswer & { impressionId: string | null }> => {
    const r = await open();
    const started = performance.now();
    const answer = r.rank(history, o);
    performance.measure(RANK_MEASURE, { start: started });
    return { ...answer, impressionId: await reportImpression(answer, o.visitorId) };
  };
}

/**
 * Tells the server what this browser showed (movie ids and model version only: the history stays
 * here), for the online metrics; null when it could not (the answer is shown all the same).
 */
export async function reportImpression(
  answer: BrowserAnswer,
  visitorId?: string,
): Promise<string | null> {
  if (answer.items.length === 0) return null;
  try {
    const body = {
      visitorId,
      modelVersion: answer.modelVersion,
      movieIds: answer.items.map((m) => m.id),
    };
    const r = await apiJson<{ impressionId: string }>("/api/v1/impressions", postJson(body));
    return r.impressionId;
  } catch {
    return null;
  }
}

/** Marks the first in-browser answer on screen (call after it rendered). */
export function markFirstBrowserAnswer(): void {
  if (!performance.getEntriesByName(FIRST_MARK).length) performance.mark(FIRST_MARK);
}
