/** Movie: details, genres, year, overview and the movies the model ranks next after it. No island: no script. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import { getMovie } from "../../src/data/catalog_queries.ts";
import { invalid, notFound, ReelrankError } from "../../src/errors.ts";
import { type MovieView, movieView } from "../../src/serving/catalog.ts";
import type { AssetManifest } from "../assets.ts";
import { MovieCard } from "../components/movie_card.tsx";
import { Poster } from "../components/poster.tsx";
import { page } from "./page.ts";

/** What the movie page shows. */
export interface MovieData {
  movie: MovieView;
  similar: MovieView[];
  /** Why there are no similar movies (no model, or the model does not know it), or null. */
  similarProblem: string | null;
}

/** The loader: the same queries as GET /movies/{id} and /movies/{id}/similar. */
export async function loadMovie(deps: AppDeps, id: number): Promise<MovieData> {
  const stored = await getMovie(deps.db, id);
  if (!stored) throw notFound(`movie ${id} does not exist`);
  try {
    const answer = await deps.serving.recommendations.similar(id, { k: 10 });
    return { movie: movieView(stored), similar: answer.items, similarProblem: null };
  } catch (err) {
    // No model loaded, or one that has never seen this movie: the page still shows the movie.
    if (err instanceof ReelrankError && (err.code === "UNAVAILABLE" || err.code === "NOT_FOUND")) {
      return { movie: movieView(stored), similar: [], similarProblem: err.message };
    }
    throw err;
  }
}

/** The page. */
export function MoviePage({ data }: { data: MovieData }) {
  const m = data.movie;
  return (
    <>
      <article class="movie">
        <div class="movie-poster">
          <Poster movie={m} />
        </div>
        <div>
          <h1>{m.title}</h1>
          <dl class="facts">
            <dt>Year</dt>
            <dd>{m.year ?? "unknown"}</dd>
            <dt>Genres</dt>
            <dd>{m.genres.length ? m.genres.join(", ") : "none listed"}</dd>
          </dl>
          <p class="overview">{m.overview ?? "No overview is stored for this movie."}</p>
        </div>
      </article>
      <h2>Similar movies</h2>
      {data.similarProblem ? <p>{data.similarProblem}</p> : (
        <ul class="grid">
          {data.similar.map((s) => <MovieCard key={s.id} movie={s} />)}
        </ul>
      )}
    </>
  );
}

/** GET /movies/:id. */
export function movieRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/movies/:id", async (c) => {
    const raw = c.req.param("id");
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw invalid(`movie id: expected a positive integer, got ${JSON.stringify(raw)}`);
    }
    const data = await loadMovie(deps, id);
    return page(c, <MoviePage data={data} />, {
      title: data.movie.title,
      section: "movie",
      manifest: manifest(),
    });
  });
}
