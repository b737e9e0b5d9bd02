/** Virtual users: deterministic for a seed, and with structure worth learning. */
import assert from "node:assert/strict";
import { type CatalogMovie, generateVirtualUsers } from "../../../src/data/virtual_users.ts";
import { Prng } from "../../../src/random.ts";

const GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Animation", "Crime"];

function catalog(n = 400): CatalogMovie[] {
  const rng = new Prng(7);
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    genres: [GENRES[rng.int(8)], GENRES[rng.int(8)]].filter((g, j, a) => a.indexOf(g) === j),
    popularity: 1000 / (i + 1),
    voteAverage: 4 + rng.next() * 5,
    runtime: 80 + rng.int(60),
  }));
}

Deno.test("the same seed yields identical users and rows", () => {
  const a = [...generateVirtualUsers(catalog(), { users: 30, moviesPerUser: 20, seed: 42 })];
  const b = [
    ...generateVirtualUsers(catalog().reverse(), { users: 30, moviesPerUser: 20, seed: 42 }),
  ];
  assert.deepEqual(a, b);
});

Deno.test("a different seed yields different users", () => {
  const a = [...generateVirtualUsers(catalog(), { users: 5, moviesPerUser: 20, seed: 1 })];
  const b = [...generateVirtualUsers(catalog(), { users: 5, moviesPerUser: 20, seed: 2 })];
  assert.notDeepEqual(a.map((u) => u.interactions), b.map((u) => u.interactions));
});

Deno.test("fewer users are a prefix of more users with the same seed", () => {
  const few = [...generateVirtualUsers(catalog(), { users: 3, moviesPerUser: 10, seed: 9 })];
  const many = [...generateVirtualUsers(catalog(), { users: 8, moviesPerUser: 10, seed: 9 })];
  assert.deepEqual(few, many.slice(0, 3));
});

Deno.test("each user watches distinct movies in time order, about moviesPerUser on average", () => {
  const users = [...generateVirtualUsers(catalog(), { users: 200, moviesPerUser: 25, seed: 3 })];
  let total = 0;
  for (const u of users) {
    const ids = u.interactions.map((i) => i.movieId);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(u.interactions.every((x, k, a) => k === 0 || a[k - 1].ts < x.ts));
    assert.ok(
      u.interactions.every((x) =>
        x.rating >= 0.5 && x.rating <= 5 && x.rating * 2 === Math.round(x.rating * 2)
      ),
    );
    total += ids.length;
  }
  const mean = total / users.length;
  assert.ok(mean > 18 && mean < 35, `mean movies per user ${mean}`);
});

Deno.test("users mostly watch their favourite genre, far above its base rate", () => {
  const movies = catalog();
  const byId = new Map(movies.map((m) => [m.id, m]));
  const users = [...generateVirtualUsers(movies, { users: 200, moviesPerUser: 30, seed: 5 })];
  let hit = 0, n = 0, base = 0;
  for (const u of users) {
    const fav = u.profile.topGenres[0].genre;
    for (const i of u.interactions) {
      n++;
      if (byId.get(i.movieId)!.genres.includes(fav)) hit++;
    }
    base += movies.filter((m) => m.genres.includes(fav)).length / movies.length *
      u.interactions.length;
  }
  assert.ok(hit / n > 1.5 * (base / n), `favourite-genre share ${hit / n} vs base ${base / n}`);
});

Deno.test("watch time rises with the rating", () => {
  const movies = catalog();
  const runtime = new Map(movies.map((m) => [m.id, m.runtime! * 60]));
  const users = [...generateVirtualUsers(movies, { users: 150, moviesPerUser: 30, seed: 11 })];
  const frac = (keep: (r: number) => boolean) => {
    const xs = users.flatMap((u) => u.interactions.filter((i) => keep(i.rating)))
      .map((i) => i.watchSeconds / runtime.get(i.movieId)!);
    assert.ok(xs.length > 20, `only ${xs.length} interactions in this rating band`);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const low = frac((r) => r <= 2), high = frac((r) => r >= 4);
  assert.ok(high > low + 0.2, `watched fraction: low ratings ${low}, high ratings ${high}`);
});

Deno.test("consecutive movies share genres more often than random pairs (sessions)", () => {
  const movies = catalog();
  const byId = new Map(movies.map((m) => [m.id, m]));
  const users = [...generateVirtualUsers(movies, { users: 150, moviesPerUser: 30, seed: 13 })];
  const shares = (a: number, b: number) =>
    byId.get(a)!.genres.some((g) => byId.get(b)!.genres.includes(g));
  let adj = 0, adjN = 0, far = 0, farN = 0;
  for (const u of users) {
    const ids = u.interactions.map((i) => i.movieId);
    for (let k = 1; k < ids.length; k++) (adjN++, adj += shares(ids[k - 1], ids[k]) ? 1 : 0);
    for (let k = 10; k < ids.length; k++) (farN++, far += shares(ids[k - 10], ids[k]) ? 1 : 0);
  }
  assert.ok(adj / adjN > far / farN, `adjacent ${adj / adjN} vs 10 apart ${far / farN}`);
});

Deno.test("an empty catalogue yields no users", () => {
  assert.deepEqual([...generateVirtualUsers([], { users: 5, moviesPerUser: 5, seed: 1 })], []);
});
