/** MovieLens CSV folders (ratings.csv, movies.csv, optional links.csv): discovery, parsing, records. */
import { invalid } from "../errors.ts";
import { type CsvObject, readCsvObjects } from "./csv.ts";
import {
  check,
  type Checked,
  type InteractionRecord,
  movieLensLinkRow,
  movieLensMovieRow,
  movieLensRatingRow,
  type MovieRecord,
} from "./contract.ts";

/** The files of one MovieLens folder. */
export interface MovieLensFolder {
  dir: string;
  movies: string;
  ratings: string;
  links?: string;
}

/** A parsed CSV row: its line, raw fields, and the record or the reason it was rejected. */
export interface ParsedRow<T> {
  file: string;
  line: number;
  raw: Record<string, string>;
  result: Checked<T>;
}

/** External ids from links.csv. */
export interface MovieLink {
  imdbId: string | null;
  tmdbId: number | null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Checks that `dir` holds a MovieLens data set; throws one readable error saying what is missing. */
export async function openMovieLensFolder(dir: string): Promise<MovieLensFolder> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(dir);
  } catch (cause) {
    throw invalid(
      `MovieLens folder "${dir}" does not exist; pass --path with a folder holding ratings.csv and movies.csv`,
      { cause },
    );
  }
  if (!stat.isDirectory) {
    throw invalid(
      `MovieLens path "${dir}" is not a folder; expected a folder holding ratings.csv and movies.csv`,
    );
  }
  const base = dir.replace(/\/+$/, "");
  const lacking: string[] = [];
  for (const f of ["ratings.csv", "movies.csv"]) {
    if (!(await isFile(`${base}/${f}`))) lacking.push(f);
  }
  if (lacking.length) {
    throw invalid(
      `MovieLens folder "${dir}" has no ${
        lacking.join(" or ")
      }; expected ratings.csv and movies.csv (links.csv optional)`,
    );
  }
  const links = `${base}/links.csv`;
  return {
    dir: base,
    movies: `${base}/movies.csv`,
    ratings: `${base}/ratings.csv`,
    links: (await isFile(links)) ? links : undefined,
  };
}

const YEAR = /\s*\((\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$/;
const ARTICLE = /^(.+?), (The|A|An|L'|Le|La|Les|Il|El|Los|Las|Das|Der|Die|Den|Det|De)(\s+\(.*\))?$/;

/**
 * Splits a MovieLens title into a display title and a year: "American President, The (1995)" →
 * { title: "The American President", year: 1995 }. Titles without a year keep `year: null`.
 */
export function parseMovieLensTitle(raw: string): { title: string; year: number | null } {
  let title = raw.trim();
  let year: number | null = null;
  const y = YEAR.exec(title);
  if (y && y.index > 0) {
    year = Number(y[1]);
    title = title.slice(0, y.index).trim();
  }
  const a = ARTICLE.exec(title);
  if (a) title = `${a[2]}${a[2].endsWith("'") ? "" : " "}${a[1]}${a[3] ?? ""}`;
  return { title, year };
}

/** Splits MovieLens genres on `|`; "(no genres listed)" means none. */
export function parseMovieLensGenres(raw: string): string[] {
  const s = raw.trim();
  if (s === "" || s === "(no genres listed)") return [];
  return s.split("|").map((g) => g.trim()).filter((g) => g.length > 0);
}

function open(path: string, name: string, required: readonly string[]): AsyncGenerator<CsvObject> {
  return (async function* () {
    const file = await Deno.open(path, { read: true });
    yield* readCsvObjects(file.readable, { name, required });
  })();
}

/** The columns each file must have. */
const COLUMNS = {
  links: ["movieId", "imdbId", "tmdbId"],
  movies: ["movieId", "title", "genres"],
  ratings: ["userId", "movieId", "rating", "timestamp"],
} as const;

/**
 * Reads every file of the folder once without storing anything, so that a file that is not UTF-8,
 * lacks a column, or holds a record or field over the CSV limits is refused before the first
 * write, with an error naming the file and the line. Bad values in good rows are not errors here:
 * the ingest keeps them as rejected rows.
 */
export async function checkMovieLensFolder(folder: MovieLensFolder): Promise<void> {
  const files: [string | undefined, string, readonly string[]][] = [
    [folder.links, "links.csv", COLUMNS.links],
    [folder.movies, "movies.csv", COLUMNS.movies],
    [folder.ratings, "ratings.csv", COLUMNS.ratings],
  ];
  for (const [path, name, required] of files) {
    if (!path) continue;
    for await (const _ of open(path, name, required)) { /* reading is the check */ }
  }
}

/** Reads links.csv into movieId → external ids; invalid rows come back as rejections. */
export async function readMovieLensLinks(
  folder: MovieLensFolder,
): Promise<{ links: Map<number, MovieLink>; rejected: ParsedRow<never>[] }> {
  const links = new Map<number, MovieLink>();
  const rejected: ParsedRow<never>[] = [];
  if (!folder.links) return { links, rejected };
  const byTmdb = new Map<number, number>();
  for await (const row of open(folder.links, "links.csv", COLUMNS.links)) {
    const base = { file: "links.csv", line: row.line, raw: row.raw };
    const r = row.error
      ? { ok: false as const, reason: row.error }
      : check(movieLensLinkRow, row.raw);
    if (!r.ok) {
      rejected.push({ ...base, result: r });
      continue;
    }
    let tmdbId = r.value.tmdbId ? Number(r.value.tmdbId) : null;
    const holder = tmdbId === null ? undefined : byTmdb.get(tmdbId);
    if (tmdbId !== null && holder !== undefined) {
      // tmdb_id is unique in movies: the first movie keeps the link, this one is stored without it.
      rejected.push({
        ...base,
        result: {
          ok: false,
          reason:
            `tmdbId ${tmdbId} is already linked to movieId ${holder}; movie kept without a TMDB id`,
        },
      });
      tmdbId = null;
    }
    if (tmdbId !== null) byTmdb.set(tmdbId, r.value.movieId);
    links.set(r.value.movieId, {
      imdbId: r.value.imdbId ? `tt${r.value.imdbId.padStart(7, "0")}` : null,
      tmdbId,
    });
  }
  return { links, rejected };
}

/** Reads movies.csv as movie records (joined with `links`). */
export async function* readMovieLensMovies(
  folder: MovieLensFolder,
  links: Map<number, MovieLink>,
): AsyncGenerator<ParsedRow<MovieRecord>> {
  for await (const row of open(folder.movies, "movies.csv", COLUMNS.movies)) {
    const base = { file: "movies.csv", line: row.line, raw: row.raw };
    const r = row.error
      ? { ok: false as const, reason: row.error }
      : check(movieLensMovieRow, row.raw);
    if (!r.ok) {
      yield { ...base, result: r };
      continue;
    }
    const { title, year } = parseMovieLensTitle(r.value.title);
    const link = links.get(r.value.movieId);
    yield {
      ...base,
      result: {
        ok: true,
        value: {
          id: r.value.movieId,
          movielensId: r.value.movieId,
          tmdbId: link?.tmdbId ?? null,
          imdbId: link?.imdbId ?? null,
          title,
          originalTitle: null,
          overview: null,
          releaseDate: null,
          year,
          genres: parseMovieLensGenres(r.value.genres),
          originalLanguage: null,
          posterPath: null,
          backdropPath: null,
          popularity: null,
          voteAverage: null,
          voteCount: null,
          adult: null,
          runtime: null,
          source: "movielens",
        },
      },
    };
  }
}

/** Reads ratings.csv as interaction records. */
export async function* readMovieLensRatings(
  folder: MovieLensFolder,
): AsyncGenerator<ParsedRow<InteractionRecord>> {
  for await (const row of open(folder.ratings, "ratings.csv", COLUMNS.ratings)) {
    const base = { file: "ratings.csv", line: row.line, raw: row.raw };
    const r = row.error
      ? { ok: false as const, reason: row.error }
      : check(movieLensRatingRow, row.raw);
    if (!r.ok) {
      yield { ...base, result: r };
      continue;
    }
    const v = r.value;
    yield {
      ...base,
      result: {
        ok: true,
        value: {
          userId: v.userId,
          movieId: v.movieId,
          ts: v.timestamp,
          rating: v.rating,
          watchSeconds: null,
          source: "movielens",
        },
      },
    };
  }
}
