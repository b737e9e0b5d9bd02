/** The in-memory serving state: histories in protocol order, the result cache, the catalogue's popularity. */
import assert from "node:assert/strict";
import { Catalog, posterUrl } from "../../../src/serving/catalog.ts";
import { UserHistories } from "../../../src/serving/histories.ts";
import { ResultCache } from "../../../src/serving/result_cache.ts";

function columns(rows: [number, number, number][]) {
  return {
    length: rows.length,
    user: Int32Array.from(rows.map((r) => r[0])),
    movie: Int32Array.from(rows.map((r) => r[1])),
    ts: Float64Array.from(rows.map((r) => r[2])),
    rating: new Float32Array(rows.length),
  };
}

Deno.test("UserHistories keeps protocol order (timestamp, then movie id) when events arrive late", () => {
  const h = UserHistories.fromColumns(columns([[1, 10, 100], [1, 11, 200], [2, 10, 50]]));
  assert.deepEqual(h.get(1), [10, 11]);
  assert.equal(h.add(1, { movie: 12, ts: 150 }), true);
  assert.equal(h.add(1, { movie: 9, ts: 200 }), true);
  assert.deepEqual(h.get(1), [10, 12, 9, 11]);
  assert.equal(h.add(1, { movie: 12, ts: 300 }), false, "an already watched movie keeps its place");
  assert.equal(h.add(3, { movie: 5, ts: 1 }), true);
  assert.deepEqual([h.size, h.get(3)], [3, [5]]);
  assert.deepEqual([...h.counts()].sort((a, b) => a[0] - b[0]), [[5, 1], [9, 1], [10, 2], [11, 1], [
    12,
    1,
  ]]);
});

Deno.test("ResultCache drops one user's answers on their event and evicts the least recently used", () => {
  const c = new ResultCache<string>({ maxEntries: 3 });
  c.set(1, { key: "k10", value: "a" });
  c.set(1, { key: "k5", value: "b" });
  c.set(2, { key: "k10", value: "c" });
  c.dropUser(1);
  assert.deepEqual([c.get(1, "k10"), c.get(1, "k5"), c.get(2, "k10")], [undefined, undefined, "c"]);
  c.set(3, { key: "k", value: "d" });
  c.set(4, { key: "k", value: "e" });
  assert.equal(c.get(2, "k10"), "c", "refreshed as most recently used");
  c.set(5, { key: "k", value: "f" });
  assert.equal(c.get(3, "k"), undefined, "the least recently used went first");
  assert.equal(c.size, 3);
  c.clear();
  assert.equal(c.size, 0);
});

Deno.test("Catalog ranks by watch count, ties by id, honouring exclusions, genres and new events", () => {
  const movie = (id: number, genres: string[]) => ({
    id,
    title: `M${id}`,
    year: null,
    genres,
    posterPath: id === 1 ? "/a.jpg" : null,
    overview: null,
    tmdbId: null,
    voteAverage: null,
  });
  const cat = new Catalog(
    [movie(1, ["Drama"]), movie(2, ["Comedy"]), movie(3, ["Comedy"])],
    new Map([[1, 5], [2, 5], [3, 1]]),
  );
  assert.deepEqual(cat.popular(3).map((p) => p.movieId), [1, 2, 3]);
  assert.deepEqual(cat.popular(3, { exclude: new Set([1]) }).map((p) => p.movieId), [2, 3]);
  assert.deepEqual(cat.popular(3, { genre: "Comedy" }).map((p) => p.movieId), [2, 3]);
  cat.bump(2);
  assert.deepEqual(cat.popular(1), [{ movieId: 2, score: 6 }]);
  assert.equal(cat.get(1)!.posterUrl, "https://image.tmdb.org/t/p/w342/a.jpg");
  assert.equal(posterUrl(null), null);
  assert.deepEqual(cat.genres().Comedy, [2, 3]);
});

Deno.test("Catalog.itemJson() is the text JSON.stringify gives an item, for any title and score", () => {
  const odd = {
    id: 7,
    title: 'He said "<script>alert(1)</script>" — Ünïcode \u2028 \\ done',
    year: 1999,
    genres: ["Drama", "Film-Noir"],
    posterPath: "/x.jpg",
    overview: "line one\nline two\t\u0001",
    tmdbId: 70,
    voteAverage: 7.5,
  };
  const cat = new Catalog([odd], new Map());
  for (const score of [0.1 + 0.2, -3, 1e-9, Math.fround(0.7), NaN, Infinity]) {
    const want = JSON.stringify({ ...cat.get(7), score });
    assert.equal(cat.itemJson(7, score), want);
    assert.equal(cat.itemJson(7, score), want, "the cached view gives the same text");
  }
  assert.equal(cat.itemJson(8, 1), undefined);
});
