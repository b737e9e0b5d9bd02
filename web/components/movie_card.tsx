/** A movie card: poster, title, year and genres; activating it expands the overview (a <details>, so no script is needed). */
import type { ComponentChildren } from "preact";
import type { MovieView } from "../../src/serving/catalog.ts";
import { Poster } from "./poster.tsx";

/** The display fields of a movie (what island props carry). */
export type CardMovie = Pick<
  MovieView,
  "id" | "title" | "year" | "genres" | "overview" | "posterUrl"
>;

/** Strips an answer's item to the fields a card shows. */
export function cardMovie(m: MovieView): CardMovie {
  return {
    id: m.id,
    title: m.title,
    year: m.year,
    genres: m.genres,
    overview: m.overview,
    posterUrl: m.posterUrl,
  };
}

/** One card; `children` go under the details (e.g. the watched toggle). */
export function MovieCard({ movie, children }: { movie: CardMovie; children?: ComponentChildren }) {
  return (
    <li class="card" data-movie-id={movie.id}>
      <details>
        <summary>
          <Poster movie={movie} />
          <span class="card-title">{movie.title}</span>
          <span class="card-meta">
            {[movie.year, movie.genres.join(", ")].filter(Boolean).join(" · ")}
          </span>
        </summary>
        <p class="overview">{movie.overview ?? "No overview is stored for this movie."}</p>
        <a href={`/movies/${movie.id}`}>Details and similar movies</a>
      </details>
      {children}
    </li>
  );
}
