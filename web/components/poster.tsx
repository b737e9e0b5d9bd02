/** A movie's poster: the TMDB image when one is known, else an inline SVG with title and year on a colour from its genres. */
import type { MovieView } from "../../src/serving/catalog.ts";

type PosterMovie = Pick<MovieView, "title" | "year" | "genres" | "posterUrl">;

/** FNV-1a over the sorted genres, mixed: the same genres always give the same hue. */
export function genreHue(genres: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const ch of [...genres].sort().join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3's finaliser: names differing in one letter land far apart on the colour wheel.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % 360;
}

/** Splits a title into at most `maxLines` lines of about `width` characters (the last one cut with …). */
export function wrapTitle(title: string, options: { width: number; maxLines: number }): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of title.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (next.length <= options.width || !line) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length <= options.maxLines) return lines;
  const kept = lines.slice(0, options.maxLines);
  kept[options.maxLines - 1] = kept[options.maxLines - 1].slice(0, options.width - 1) + "…";
  return kept;
}

/** Poster or placeholder, 2:3, with the title as its text alternative. */
export function Poster({ movie }: { movie: PosterMovie }) {
  const label = movie.year ? `${movie.title} (${movie.year})` : movie.title;
  if (movie.posterUrl) {
    return (
      <img
        class="poster"
        src={movie.posterUrl}
        alt={`Poster of ${label}`}
        width={342}
        height={513}
        loading="lazy"
      />
    );
  }
  const hue = genreHue(movie.genres);
  // MovieLens titles end with "(1995)": the year is drawn on its own line instead.
  const title = movie.title.replace(/\s*\(\d{4}\)\s*$/, "");
  // Bold 20-unit glyphs average ≈ 12 units: 12 characters fit the 168 units inside the margins.
  const lines = wrapTitle(title, { width: 12, maxLines: 5 });
  return (
    <svg
      class="poster"
      viewBox="0 0 200 300"
      role="img"
      aria-label={`Placeholder poster of ${label}`}
    >
      <rect width="200" height="300" fill={`hsl(${hue} 45% 34%)`} />
      <rect y="210" width="200" height="90" fill={`hsl(${(hue + 24) % 360} 50% 22%)`} />
      <text
        x="16"
        y="48"
        fill="#fff"
        font-size="20"
        font-weight="700"
        font-family="system-ui, sans-serif"
      >
        {lines.map((l, i) => <tspan key={i} x="16" dy={i ? 26 : 0}>{l}</tspan>)}
      </text>
      {movie.year
        ? (
          <text
            x="16"
            y="262"
            fill="#fff"
            fill-opacity="0.85"
            font-size="26"
            font-family="system-ui, sans-serif"
          >
            {String(movie.year)}
          </text>
        )
        : null}
    </svg>
  );
}
