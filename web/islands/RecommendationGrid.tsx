/**
 * The home page's grid: recommendations for a user or a visitor with why each was chosen, a genre
 * filter, and a "watched" toggle that refreshes the grid in place. A visitor's movies are ranked
 * in this browser when it can (web/client/browser_ranker.ts, loaded only then), else on the server.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type CardMovie, MovieCard } from "../components/movie_card.tsx";
import { RankingChoice, type Where } from "../components/ranking_choice.tsx";
import { apiJson, eventId, postJson } from "../client/api.ts";
import { markFirstBrowserAnswer, useBrowserRanker } from "../client/use_browser_ranker.ts";
import {
  loadHistory,
  saveHistory,
  visitorId,
  type WatchedMovie,
} from "../client/visitor_history.ts";
import { browserRankingUnsupported } from "../client/wasm_support.ts";

/** A recommendation answer as the grid shows it; `where` says it was ranked in this browser. */
export interface GridAnswer {
  strategy: "model" | "popularity";
  modelVersion: number | null;
  /** This answer as shown (clicks and watches on it count for the online metrics); null: none. */
  impressionId?: string | null;
  items: CardMovie[];
  where?: "browser";
}

/** Plain-JSON props. `userId` is null for a visitor; `answer` is what the server rendered. */
export interface GridProps extends Record<string, unknown> {
  userId: number | null;
  k: number;
  genre: string | null;
  genres: string[];
  answer: GridAnswer;
  /** The built kernel.wasm (null: the site was built without it, so visitors rank on the server). */
  kernelUrl: string | null;
}

/** localStorage key of the visitor's choice. */
export const WHERE_KEY = "reelrank.visitor.ranking";

/** What the heading above the grid says about where the movies come from. */
export function describe(answer: GridAnswer, who: { userId: number | null; watched: number }) {
  if (answer.strategy === "model") {
    const basis = who.userId === null
      ? `your ${who.watched} watched movies`
      : `user ${who.userId}'s history`;
    const here = answer.where === "browser" ? " in this browser" : "";
    return `Recommended${here} from ${basis} by model version ${answer.modelVersion}`;
  }
  if (who.userId !== null) {
    return `Popular movies: user ${who.userId} has no history here, so these are the most watched`;
  }
  return "Popular movies: mark movies you have watched to get recommendations";
}

/** The grid island. */
export default function RecommendationGrid(props: GridProps) {
  const [answer, setAnswer] = useState(props.answer);
  const [genre, setGenre] = useState(props.genre ?? "");
  const [history, setHistory] = useState<WatchedMovie[]>([]);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  // Null until the page has looked at this browser (the server renders without a choice).
  const [where, setWhere] = useState<Where | null>(null);
  const [unsupported, setUnsupported] = useState<string | null>(null);
  const latest = useRef({ genre, history, where });
  latest.current = { genre, history, where };
  const visitor = props.userId === null;
  const rankHere = useBrowserRanker(props.kernelUrl, {
    active: where === "browser",
    onUpdated: (version) => {
      setStatus(`Model version ${version} was downloaded in the background and ranks here now.`);
      if (latest.current.history.length) refresh(latest.current);
    },
    onError: (message) => setStatus(`Could not update the model in this browser: ${message}`),
  });

  async function refresh(next: { genre: string; history: WatchedMovie[]; where: Where | null }) {
    setBusy(true);
    try {
      const g = next.genre || undefined;
      const ids = next.history.map((m) => m.id);
      if (!visitor) {
        const q = new URLSearchParams({
          k: String(props.k),
          explain: "true",
          ...(g ? { genre: g } : {}),
        });
        setAnswer(await apiJson<GridAnswer>(`/api/v1/users/${props.userId}/recommendations?${q}`));
      } else if (ids.length && next.where === "browser") {
        const ranked = await rankHere(ids, { k: props.k, genre: g, visitorId: visitorId() });
        setAnswer({ ...ranked, where: "browser" });
      } else if (ids.length) {
        const body = { history: ids, k: props.k, genre: g, explain: true, visitorId: visitorId() };
        setAnswer(await apiJson<GridAnswer>("/api/v1/recommendations", postJson(body)));
      } else if (next.genre === (props.genre ?? "")) setAnswer(props.answer);
      else location.assign(`/?${new URLSearchParams(g ? { genre: g } : {})}`);
    } catch (err) {
      const what = next.where === "browser" && visitor
        ? `Could not rank in this browser (${(err as Error).message}); your history stayed here`
        : `Could not refresh the recommendations: ${(err as Error).message}`;
      setStatus(what);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (!visitor) return;
    const reason = props.kernelUrl ? browserRankingUnsupported() : "this site has no kernel build";
    const w: Where = reason || localStorage.getItem(WHERE_KEY) === "server" ? "server" : "browser";
    setUnsupported(reason);
    setWhere(w);
    const stored = loadHistory();
    setHistory(stored);
    if (stored.length) refresh({ genre, history: stored, where: w });
  }, []);

  useEffect(() => {
    if (answer.where === "browser") markFirstBrowserAnswer();
  }, [answer]);

  function choose(w: Where) {
    localStorage.setItem(WHERE_KEY, w);
    setWhere(w);
    setStatus("");
    if (history.length) refresh({ genre, history, where: w });
  }

  async function markWatched(movie: CardMovie, position: number) {
    const shown = answer.impressionId ? { impressionId: answer.impressionId, position } : {};
    if (visitor) {
      // A server-ranked visitor's history went to the server anyway: the watch is reported as an
      // outcome only (no history is stored). A visitor ranking in the browser reports nothing, not
      // even a watch on the popular list the server rendered first: it stays here.
      if (shown.impressionId && answer.where !== "browser" && where === "server") {
        apiJson(
          "/api/v1/events",
          postJson({
            eventId: eventId(),
            visitorId: visitorId(),
            movieId: movie.id,
            type: "watch",
            ...shown,
          }),
        ).catch(() => {});
      }
      const next = [...history.filter((m) => m.id !== movie.id), {
        id: movie.id,
        title: movie.title,
      }];
      saveHistory(next);
      setHistory(next);
      setStatus(`${movie.title} is in your history (kept in this browser only).`);
      return refresh({ genre, history: next, where });
    }
    try {
      await apiJson(
        "/api/v1/events",
        postJson({
          eventId: eventId(),
          userId: props.userId,
          movieId: movie.id,
          type: "watch",
          ...shown,
        }),
      );
      setStatus(`Recorded: user ${props.userId} watched ${movie.title}.`);
    } catch (err) {
      return setStatus(`Could not record the watch: ${(err as Error).message}`);
    }
    await refresh({ genre, history, where });
  }

  function forget(id: number | null) {
    const next = id === null ? [] : history.filter((m) => m.id !== id);
    saveHistory(next);
    setHistory(next);
    refresh({ genre, history: next, where });
  }

  return (
    <section class="recs" aria-busy={busy}>
      <form
        class="filters"
        method="get"
        action="/"
        onSubmit={(e) => {
          if (visitor && !history.length) return; // the server renders popular movies of the genre
          e.preventDefault();
          const g = String(new FormData(e.currentTarget).get("genre") ?? "");
          setGenre(g);
          refresh({ genre: g, history, where });
        }}
      >
        {props.userId !== null
          ? <input type="hidden" name="user" value={String(props.userId)} />
          : null}
        <label>
          Genre{" "}
          <select
            name="genre"
            value={genre}
            onChange={(e) => {
              setGenre(e.currentTarget.value);
              e.currentTarget.form?.requestSubmit();
            }}
          >
            <option value="">All genres</option>
            {props.genres.map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {visitor && where
        ? <RankingChoice where={where} unsupported={unsupported} onChoose={choose} />
        : null}
      <h2 class="recs-title">
        {describe(answer, { userId: props.userId, watched: history.length })}
      </h2>
      <p class="status" role="status">{status}</p>
      {answer.items.length === 0
        ? <p>{genre ? "No movies match this genre." : "No movies are stored yet."}</p>
        : null}
      <ul class="grid">
        {answer.items.map((m, i) => (
          <MovieCard key={m.id} movie={m}>
            <button
              type="button"
              class="watch"
              aria-pressed="false"
              disabled={busy}
              onClick={() => markWatched(m, i + 1)}
            >
              Watched
            </button>
          </MovieCard>
        ))}
      </ul>
      {visitor && history.length
        ? (
          <section class="history" aria-label="Your history">
            <h2>Your watched movies (kept in this browser)</h2>
            <ul>
              {history.map((m) => (
                <li key={m.id}>
                  {m.title}{" "}
                  <button
                    type="button"
                    class="link"
                    onClick={() => forget(m.id)}
                    aria-label={`Remove ${m.title}`}
                  >
                    remove
                  </button>
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => forget(null)}>Forget all</button>
          </section>
        )
        : null}
    </section>
  );
}
