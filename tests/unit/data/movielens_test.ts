/** MovieLens CSV parsing: quoting, CRLF, titles and years, genres, links, rejected rows. */
import assert from "node:assert/strict";
import { readCsv } from "../../../src/data/csv.ts";
import {
  openMovieLensFolder,
  parseMovieLensGenres,
  parseMovieLensTitle,
  readMovieLensLinks,
  readMovieLensMovies,
  readMovieLensRatings,
} from "../../../src/data/movielens.ts";

function streamOf(text: string, chunk = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= bytes.length) return c.close();
      c.enqueue(bytes.slice(i, i += chunk));
    },
  });
}

async function records(text: string, chunk?: number) {
  const out = [];
  for await (const r of readCsv(streamOf(text, chunk))) out.push(r);
  return out;
}

Deno.test("readCsv() handles quoted commas, doubled quotes and CRLF split across chunks", async () => {
  const text = 'a,b\r\n1,"Hello, World"\r\n2,"say ""hi"""\r\n\r\n3,"two\nlines"\n4,last';
  for (const chunk of [1, 3, 1000]) {
    const rows = await records(text, chunk);
    assert.deepEqual(rows.map((r) => r.fields), [
      ["a", "b"],
      ["1", "Hello, World"],
      ["2", 'say "hi"'],
      ["3", "two\nlines"],
      ["4", "last"],
    ]);
    assert.deepEqual(rows.map((r) => r.line), [1, 2, 3, 5, 7]);
  }
});

Deno.test("readCsv() drops a UTF-8 byte order mark", async () => {
  const rows = await records("\ufeffmovieId,title\n1,x\n");
  assert.deepEqual(rows[0].fields, ["movieId", "title"]);
});

Deno.test("parseMovieLensTitle() takes the year out and moves trailing articles to the front", () => {
  assert.deepEqual(parseMovieLensTitle("Toy Story (1995)"), { title: "Toy Story", year: 1995 });
  assert.deepEqual(parseMovieLensTitle("American President, The (1995)"), {
    title: "The American President",
    year: 1995,
  });
  assert.deepEqual(
    parseMovieLensTitle("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
    {
      title: "The City of Lost Children (Cité des enfants perdus, La)",
      year: 1995,
    },
  );
  assert.deepEqual(parseMovieLensTitle("From Dusk Till Dawn 2: Texas Blood Money (1999) "), {
    title: "From Dusk Till Dawn 2: Texas Blood Money",
    year: 1999,
  });
  assert.deepEqual(parseMovieLensTitle("Death Note: Desu nôto (2006–2007)"), {
    title: "Death Note: Desu nôto",
    year: 2006,
  });
  assert.deepEqual(parseMovieLensTitle("Babylon 5"), { title: "Babylon 5", year: null });
  assert.deepEqual(parseMovieLensTitle("1900 (Novecento) (1976)"), {
    title: "1900 (Novecento)",
    year: 1976,
  });
  assert.deepEqual(parseMovieLensTitle("Auberge espagnole, L' (2002)"), {
    title: "L'Auberge espagnole",
    year: 2002,
  });
});

Deno.test("parseMovieLensGenres() splits on | and reads '(no genres listed)' as none", () => {
  assert.deepEqual(parseMovieLensGenres("Adventure|Animation|Children"), [
    "Adventure",
    "Animation",
    "Children",
  ]);
  assert.deepEqual(parseMovieLensGenres("(no genres listed)"), []);
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-ml-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("a MovieLens folder is read into records, and bad rows come back with reasons", async () => {
  const dir = await folder({
    "movies.csv":
      'movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n2,"Heat, The (1995)",Action\r\nx,Bad id,Drama\r\n3,,Drama\r\n',
    "ratings.csv":
      "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,7.5,964981247\n2,1,3.5\n",
    "links.csv": "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113277,862\n",
  });
  try {
    const f = await openMovieLensFolder(dir);
    const { links, rejected } = await readMovieLensLinks(f);
    assert.equal(links.get(1)?.tmdbId, 862);
    assert.equal(links.get(1)?.imdbId, "tt0114709");
    assert.equal(links.get(2)?.tmdbId, null, "a second movie cannot hold the same tmdb id");
    assert.equal(rejected.length, 1);
    const movies = [];
    for await (const m of readMovieLensMovies(f, links)) movies.push(m);
    const ok = movies.flatMap((m) => m.result.ok ? [m.result.value] : []);
    assert.deepEqual(ok.map((m) => [m.id, m.title, m.year, m.genres, m.tmdbId]), [
      [1, "Toy Story", 1995, ["Adventure", "Animation"], 862],
      [2, "The Heat", 1995, ["Action"], null],
    ]);
    const bad = movies.filter((m) => !m.result.ok).map((
      m,
    ) => [m.line, m.result.ok ? "" : m.result.reason]);
    assert.equal(bad.length, 2);
    assert.match(bad[0][1] as string, /movieId/);
    assert.match(bad[1][1] as string, /title/);
    const ratings = [];
    for await (const r of readMovieLensRatings(f)) ratings.push(r);
    assert.equal(ratings.filter((r) => r.result.ok).length, 1);
    const reasons = ratings.flatMap((r) => r.result.ok ? [] : [r.result.reason]);
    assert.match(reasons[0], /rating between 0.5 and 5/);
    assert.match(reasons[1], /expected 4 fields, got 3/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openMovieLensFolder() says what is missing", async () => {
  await assert.rejects(openMovieLensFolder("/nonexistent/ml"), /does not exist; pass --path/);
  const dir = await folder({ "movies.csv": "movieId,title,genres\n" });
  try {
    await assert.rejects(openMovieLensFolder(dir), /has no ratings.csv/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file without the expected columns is refused with the columns seen", async () => {
  const dir = await folder({
    "movies.csv": "id,name\n1,x\n",
    "ratings.csv": "userId,movieId,rating,timestamp\n",
  });
  try {
    const f = await openMovieLensFolder(dir);
    await assert.rejects(async () => {
      for await (const _ of readMovieLensMovies(f, new Map())) { /* drain */ }
    }, /movies.csv has columns "id,name"; expected at least "movieId,title,genres"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the bundled ml-latest-small parses to 9,742 movies and 100,836 ratings; one link is a duplicate", async () => {
  const f = await openMovieLensFolder(
    new URL("../../../data/ml-latest-small", import.meta.url).pathname,
  );
  const { links, rejected } = await readMovieLensLinks(f);
  assert.deepEqual(rejected.map((r) => [r.line, r.raw.tmdbId]), [[9108, "4912"]]);
  let movies = 0, ratings = 0, bad = 0;
  for await (const m of readMovieLensMovies(f, links)) m.result.ok ? movies++ : bad++;
  for await (const r of readMovieLensRatings(f)) r.result.ok ? ratings++ : bad++;
  assert.deepEqual([movies, ratings, bad], [9742, 100836, 0]);
});
