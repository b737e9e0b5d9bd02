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
