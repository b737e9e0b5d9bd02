/** A movie card: poster, title, year and genres, and why it was chosen; activating it expands the overview (a <details>, so no script is needed). */
import type { ComponentChildren } from "preact";
import type { MovieView } from "../../src/serving/catalog.ts";
import { Poster } from "./poster.tsx";

/** A history movie behind a recommendation, as a card names it. */
export interface BecauseMovie {
  id: number;
  title: string;
}

/** The display fields of a movie (what island props carry), and the movies that drove it. */
export type CardMovie =
  & Pick<MovieView, "id" | "title" | "year" | "genres" | "overview" | "posterUrl">
  & { because?: BecauseMovie[] };

/** Strips an answer's item to the fields a card shows. */
export function cardMovie(m: MovieView & { because?: BecauseMovie[] }): CardMovie {
  const card: CardMovie = {
    id: m.id,
    title: m.title,
    year: m.year,
    genres: m.genres,
    overview: m.overview,
    posterUrl: m.posterUrl,
  };
  if (m.because) card.because = m.because.map((b) => ({ id: b.id, title: b.title }));
  return card;
}

/** "Because you watched X", "X and Y", "X, Y and Z", each title a link to its movie page. */
export function BecauseLine({ because }: { because: BecauseMovie[] }) {
  const parts: ComponentChildren[] = [];
  because.forEach((b, i) => {
    if (i > 0) parts.push(i === because.length - 1 ? " and " : ", ");
    parts.push(<a key={b.id} href={`/movies/${b.id}`}>{b.title}</a>);
  });
  return <p class="because">Because you watched {parts}</p>;
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
      {movie.because?.length ? <BecauseLine because={movie.because} /> : null}
      {children}
    </li>
  );
}
