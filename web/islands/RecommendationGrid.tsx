/** The home page's grid: recommendations for a user or a visitor, a genre filter, and a "watched" toggle that refreshes the grid in place. */
import { useEffect, useState } from "preact/hooks";
import { type CardMovie, MovieCard } from "../components/movie_card.tsx";
import { apiJson, eventId, postJson } from "../client/api.ts";
import { loadHistory, saveHistory, type WatchedMovie } from "../client/visitor_history.ts";

/** A recommendation answer as the grid shows it. */
export interface GridAnswer {
  strategy: "model" | "popularity";
  modelVersion: number | null;
  items: CardMovie[];
}

/** Plain-JSON props. `userId` is null for a visitor; `answer` is what the server rendered. */
export interface GridProps extends Record<string, unknown> {
  userId: number | null;
  k: number;
  genre: string | null;
  genres: string[];
  answer: GridAnswer;
}

/** What the heading above the grid says about where the movies come from. */
export function describe(answer: GridAnswer, who: { userId: number | null; watched: number }) {
  if (answer.strategy === "model") {
    const basis = who.userId === null
      ? `your ${who.watched} watched movies`
      : `user ${who.userId}'s history`;
    return `Recommended from ${basis} by model version ${answer.modelVersion}`;
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
  const visitor = props.userId === null;

  async function refresh(next: { genre: string; history: WatchedMovie[] }) {
    setBusy(true);
    try {
      const g = next.genre || undefined;
      if (!visitor) {
        const q = new URLSearchParams({ k: String(props.k), ...(g ? { genre: g } : {}) });
        setAnswer(await apiJson<GridAnswer>(`/api/v1/users/${props.userId}/recommendations?${q}`));
      } else if (next.history.length) {
        const body = { history: next.history.map((m) => m.id), k: props.k, genre: g };
        setAnswer(await apiJson<GridAnswer>("/api/v1/recommendations", postJson(body)));
      } else if (next.genre === (props.genre ?? "")) setAnswer(props.answer);
      else location.assign(`/?${new URLSearchParams(g ? { genre: g } : {})}`);
    } catch (err) {
      setStatus(`Could not refresh the recommendations: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (!visitor) return;
    const stored = loadHistory();
    setHistory(stored);
    if (stored.length) refresh({ genre, history: stored });
  }, []);

  async function markWatched(movie: CardMovie) {
    if (visitor) {
      const next = [...history.filter((m) => m.id !== movie.id), {
        id: movie.id,
        title: movie.title,
      }];
      saveHistory(next);
      setHistory(next);
      setStatus(`${movie.title} is in your history (kept in this browser only).`);
      return refresh({ genre, history: next });
    }
    try {
      await apiJson(
        "/api/v1/events",
        postJson({ eventId: eventId(), userId: props.userId, movieId: movie.id, type: "watch" }),
      );
      setStatus(`Recorded: user ${props.userId} watched ${movie.title}.`);
    } catch (err) {
      return setStatus(`Could not record the watch: ${(err as Error).message}`);
    }
    await refresh({ genre, history });
  }

  function forget(id: number | null) {
    const next = id === null ? [] : history.filter((m) => m.id !== id);
    saveHistory(next);
    setHistory(next);
    refresh({ genre, history: next });
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
          refresh({ genre: g, history });
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
      <h2 class="recs-title">
        {describe(answer, { userId: props.userId, watched: history.length })}
      </h2>
      <p class="status" role="status">{status}</p>
      {answer.items.length === 0
        ? <p>{genre ? "No movies match this genre." : "No movies are stored yet."}</p>
        : null}
      <ul class="grid">
        {answer.items.map((m) => (
          <MovieCard key={m.id} movie={m}>
            <button
              type="button"
              class="watch"
              aria-pressed="false"
              disabled={busy}
              onClick={() => markWatched(m)}
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
