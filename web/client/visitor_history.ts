/** A visitor's watched movies, kept in their browser's localStorage only (sent to nothing but POST /api/v1/recommendations). */

/** localStorage key of the visitor's history. */
export const HISTORY_KEY = "reelrank.visitor.history";

/** One watched movie; the title is kept so the page can list the history without asking the server. */
export interface WatchedMovie {
  id: number;
  title: string;
}

/** The stored history, oldest first; anything unreadable counts as empty. */
export function loadHistory(): WatchedMovie[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(parsed)
      ? parsed.filter((m) => Number.isInteger(m?.id) && typeof m?.title === "string")
      : [];
  } catch {
    return [];
  }
}

/** Replaces the stored history. */
export function saveHistory(history: readonly WatchedMovie[]): void {
  localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
}

/** localStorage key of the visitor's random id (for the canary split and online metrics; no history). */
export const VISITOR_ID_KEY = "reelrank.visitor.id";

/** This browser's visitor id, made once: random, and tied to nothing but this browser. */
export function visitorId(): string {
  try {
    const known = localStorage.getItem(VISITOR_ID_KEY);
    if (known && /^v-[0-9a-f]{16}$/.test(known)) return known;
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    const id = "v-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(VISITOR_ID_KEY, id);
    return id;
  } catch {
    return "v-0000000000000000";
  }
}
