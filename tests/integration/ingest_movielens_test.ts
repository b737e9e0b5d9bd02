/** MovieLens ingest end to end: the bundled data, idempotent re-runs, rejected rows, odd folders. */
import assert from "node:assert/strict";
import { dbTest } from "../helpers/db.ts";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";

const BUNDLED = new URL("../../data/ml-latest-small", import.meta.url).pathname;

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-ml-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

dbTest(
  "ingestMovieLens() stores the bundled set: 9,742 movies, 610 users, 100,836 interactions",
  async (db) => {
    const first = await ingestMovieLens(db, { path: BUNDLED });
    console.log(`bundled ml-latest-small ingest (${db.kind}): ${first.seconds.toFixed(2)} s`);
    assert.deepEqual(first.totals, {
      movies: 9742,
      users: 610,
      interactions: 100836,
      rejectedRows: 1,
    });
    assert.equal(first.tables.movies.inserted, 9742);
    assert.equal(first.tables.interactions.inserted, 100836);
    assert.equal(first.tables.links.rejected, 1, "tmdbId 4912 is linked twice in links.csv");
    const [toy] = await db.query<
      { title: string; year: number; genres: string[]; tmdb_id: number; imdb_id: string }
    >(
      "SELECT title, year, genres, tmdb_id, imdb_id FROM movies WHERE id = 1",
    );
    assert.deepEqual(toy, {
      title: "Toy Story",
      year: 1995,
      genres: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
      tmdb_id: 862,
      imdb_id: "tt0114709",
    });

    const second = await ingestMovieLens(db, { path: BUNDLED });
    console.log(`re-run (${db.kind}): ${second.seconds.toFixed(2)} s`);
    assert.deepEqual(second.totals, first.totals);
    assert.equal(second.tables.interactions.unchanged, 100836);
    assert.equal(second.tables.movies.unchanged, 9742);
    assert.equal(second.tables.users.unchanged, 610);
    const runs = await db.query<{ status: string }>("SELECT status FROM ingest_runs ORDER BY id");
    assert.deepEqual(runs.map((r) => r.status), ["succeeded", "succeeded"]);
  },
);

dbTest("invalid rows become rejected rows with reasons, counted, and never twice", async (db) => {
  const dir = await folder({
    "movies.csv":
      'movieId,title,genres\n1,"Heat, The (1995)",Action|Crime\n2,Up (2009),Animation\n2,Up (2009),Animation|Adventure\nzz,Nope,Drama\n',
    "ratings.csv":
      "userId,movieId,rating,timestamp\r\n1,1,4.0,100\r\n1,2,9,101\r\n1,3,4.0,102\r\n2,2,3.5,103\r\n2,2,4.5,104\r\n",
  });
  try {
    const report = await ingestMovieLens(db, { path: dir });
    assert.deepEqual(
      [
        report.tables.movies.accepted,
        report.tables.movies.rejected,
        report.tables.movies.duplicates,
      ],
      [2, 1, 1],
    );
    assert.deepEqual(
      [
        report.tables.interactions.accepted,
        report.tables.interactions.rejected,
        report.tables.interactions.duplicates,
      ],
      [2, 2, 1],
    );
    const reasons =
      (await db.query<{ reason: string }>("SELECT reason FROM rejected_rows ORDER BY reason")).map((
        r,
      ) => r.reason);
    assert.equal(reasons.length, 3);
    assert.match(reasons[0], /movies.csv line 5: movieId/);
    assert.match(reasons[1], /ratings.csv line 3: rating: expected a rating between 0.5 and 5/);
    assert.match(reasons[2], /ratings.csv line 4: movieId 3 is not in movies.csv/);
    const [{ rating }] = await db.query<{ rating: number }>(
      "SELECT rating FROM interactions WHERE user_id = 2",
    );
    assert.equal(rating, 4.5, "the later duplicate line wins");
    const [{ genres }] = await db.query<{ genres: string[] }>(
      "SELECT genres FROM movies WHERE id = 2",
    );
    assert.deepEqual(genres, ["Animation", "Adventure"]);

    const again = await ingestMovieLens(db, { path: dir });
    assert.deepEqual(again.totals, report.totals);
    assert.equal(again.totals.rejectedRows, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

dbTest("a changed rating is counted as updated on the next run", async (db) => {
  const movies = "movieId,title,genres\n1,Heat (1995),Action\n";
  const dir = await folder({
    "movies.csv": movies,
    "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,100\n",
  });
  try {
    await ingestMovieLens(db, { path: dir });
    await Deno.writeTextFile(
      `${dir}/ratings.csv`,
      "userId,movieId,rating,timestamp\n1,1,2.0,200\n",
    );
    const r = await ingestMovieLens(db, { path: dir });
    assert.deepEqual([r.tables.interactions.updated, r.tables.interactions.inserted], [1, 0]);
    const [row] = await db.query<{ ts: number; rating: number }>(
      "SELECT ts, rating FROM interactions",
    );
    assert.deepEqual(row, { ts: 200, rating: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

dbTest("a missing folder fails before any run is recorded", async (db) => {
  await assert.rejects(ingestMovieLens(db, { path: "/no/such/folder" }), /does not exist/);
  assert.deepEqual(await db.query("SELECT id FROM ingest_runs"), []);
});
