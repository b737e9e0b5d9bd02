/** TMDB ingest against the fake TMDB: pages, rejected records, duplicates, enrichment, virtual users. */
import assert from "node:assert/strict";
import { dbTest } from "../helpers/db.ts";
import { startFakeTmdb } from "../fixtures/tmdb/fake_server.ts";
import { TmdbClient } from "../../src/data/tmdb.ts";
import { ingestTmdb } from "../../src/data/ingest_tmdb.ts";
import { ingestSynthetic } from "../../src/data/ingest_synthetic.ts";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";
import { getMovies, loadInteractions } from "../../src/data/queries.ts";
import { TMDB_INGEST_KEY } from "../helpers/secrets.ts";

const KEY = TMDB_INGEST_KEY;
const client = (baseUrl: string) =>
  new TmdbClient({ baseUrl, apiKey: KEY, rateLimit: 1000, sleep: () => Promise.resolve() });

dbTest(
  "ingestTmdb() stores valid movies, rejects incomplete records with reasons and skips duplicates",
  async (db) => {
    const tmdb = startFakeTmdb({ apiKey: KEY });
    tmdb.fail("/movie/popular", { status: 429, headers: { "retry-after": "1" } }, { status: 503 });
    try {
      const report = await ingestTmdb(db, client(tmdb.baseUrl), { pages: 5, language: "en-US" });
      const m = report.tables.movies;
      assert.deepEqual([m.read, m.accepted, m.rejected, m.duplicates, m.inserted], [
        11,
        8,
        2,
        1,
        8,
      ]);
      const reasons =
        (await db.query<{ reason: string }>("SELECT reason FROM rejected_rows ORDER BY reason"))
          .map((r) => r.reason);
      assert.deepEqual(reasons.length, 2);
      assert.match(reasons[0], /page 2 result 2: title/);
      assert.match(reasons[1], /page 2 result 3: id/);
      const [gorge] = await db.query<
        { id: number; genres: string[]; release_date: Date; year: number; popularity: number }
      >(
        "SELECT id, genres, release_date, year, popularity FROM movies WHERE tmdb_id = 950396",
      );
      assert.ok(gorge.id >= 1_000_000_000, "TMDB-only movies are numbered from 1e9");
      assert.deepEqual(gorge.genres, ["Action", "Science Fiction", "Thriller"]);
      assert.equal(gorge.year, 2025);
      assert.equal(gorge.popularity, 412.7, "the first page's record wins over its duplicate");

      const again = await ingestTmdb(db, client(tmdb.baseUrl), { pages: 5 });
      assert.deepEqual([
        again.tables.movies.unchanged,
        again.totals.movies,
        again.totals.rejectedRows,
      ], [8, 8, 2]);
    } finally {
      await tmdb.close();
    }
  },
);

dbTest(
  "a TMDB movie linked from MovieLens enriches the MovieLens row instead of adding one",
  async (db) => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/movies.csv`,
      "movieId,title,genres\n1,Toy Story (1995),Animation|Children\n",
    );
    await Deno.writeTextFile(`${dir}/links.csv`, "movieId,imdbId,tmdbId\n1,0114709,862\n");
    await Deno.writeTextFile(`${dir}/ratings.csv`, "userId,movieId,rating,timestamp\n1,1,5,100\n");
    const tmdb = startFakeTmdb({ apiKey: KEY });
    try {
      await ingestMovieLens(db, { path: dir });
      const report = await ingestTmdb(db, client(tmdb.baseUrl), { pages: 1 });
      assert.deepEqual([report.tables.movies.inserted, report.tables.movies.updated], [4, 1]);
      const [toy] = await getMovies(db, [1]);
      assert.equal(toy.posterPath, "/p862.jpg");
      assert.match(toy.overview!, /cowboy doll/);
      assert.deepEqual(toy.genres, ["Animation", "Children"], "MovieLens genres are kept");
      const again = await ingestMovieLens(db, { path: dir });
      assert.equal(again.tables.movies.unchanged, 1, "MovieLens does not undo the TMDB enrichment");
    } finally {
      await tmdb.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest(
  "virtual users over TMDB movies are deterministic: a second run with the same seed changes nothing",
  async (db) => {
    const tmdb = startFakeTmdb({ apiKey: KEY });
    try {
      const first = await ingestTmdb(db, client(tmdb.baseUrl), {
        pages: 2,
        users: 20,
        moviesPerUser: 4,
        seed: 5,
      });
      assert.equal(first.tables.users.inserted, 20);
      assert.ok(first.tables.interactions.inserted >= 60);
      const before = await loadInteractions(db);
      const second = await ingestTmdb(db, client(tmdb.baseUrl), {
        pages: 2,
        users: 20,
        moviesPerUser: 4,
        seed: 5,
      });
      assert.equal(second.tables.interactions.unchanged, first.tables.interactions.inserted);
      assert.deepEqual(await loadInteractions(db), before);
      const [{ min }] = await db.query<{ min: number }>("SELECT min(id) AS min FROM users");
      assert.ok(min >= 1_000_000_000);
    } finally {
      await tmdb.close();
    }
  },
);

dbTest(
  "ingestSynthetic() needs stored movies and then writes users over all of them",
  async (db) => {
    await assert.rejects(
      ingestSynthetic(db, { users: 5, moviesPerUser: 3, seed: 1 }),
      /no movies are stored yet/,
    );
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/movies.csv`,
      "movieId,title,genres\n1,A (2000),Drama\n2,B (2001),Comedy\n3,C (2002),Drama|Comedy\n4,D (2003),Horror\n",
    );
    await Deno.writeTextFile(
      `${dir}/ratings.csv`,
      "userId,movieId,rating,timestamp\n1,1,5,100\n1,2,4,101\n",
    );
    try {
      await ingestMovieLens(db, { path: dir });
      const r = await ingestSynthetic(db, { users: 10, moviesPerUser: 3, seed: 1 });
      assert.equal(r.totals.users, 11);
      const cols = await loadInteractions(db);
      assert.equal(cols.length, r.totals.interactions);
      assert.ok(
        cols.user.every((u, i) =>
          i === 0 || cols.user[i - 1] < u ||
          (cols.user[i - 1] === u && cols.ts[i - 1] <= cols.ts[i])
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest(
  "getMovies() returns display fields in the order asked and skips unknown ids",
  async (db) => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/movies.csv`,
      'movieId,title,genres\n1,"Heat, The (1995)",Action\n2,Up (2009),(no genres listed)\n',
    );
    await Deno.writeTextFile(`${dir}/ratings.csv`, "userId,movieId,rating,timestamp\n");
    try {
      await ingestMovieLens(db, { path: dir });
      const movies = await getMovies(db, [2, 99, 1]);
      assert.deepEqual(movies.map((m) => [m.id, m.title, m.year, m.genres]), [[2, "Up", 2009, []], [
        1,
        "The Heat",
        1995,
        ["Action"],
      ]]);
      assert.equal((await loadInteractions(db)).length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
