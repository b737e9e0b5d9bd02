/** The data contract: what each schema accepts, and reasons that name the field. */
import assert from "node:assert/strict";
import {
  check,
  interactionRecord,
  movieLensRatingRow,
  tmdbMovie,
} from "../../../src/data/contract.ts";
import { tmdbToMovie } from "../../../src/data/ingest_tmdb.ts";

Deno.test("a TMDB record needs an id and a title; everything else may be missing", () => {
  const ok = check(tmdbMovie, { id: 5, title: "Four Rooms" });
  assert.ok(ok.ok);
  const bad = check(tmdbMovie, { title: "", vote_average: 11 });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.match(bad.reason, /^id: /);
    assert.match(bad.reason, /title: /);
    assert.match(bad.reason, /vote_average: /);
  }
});

Deno.test("tmdbToMovie() maps genre ids to names and an empty release date to null", () => {
  const r = check(tmdbMovie, { id: 5, title: "X", genre_ids: [28, 999], release_date: "" });
  assert.ok(r.ok);
  if (r.ok) {
    const m = tmdbToMovie(r.value, new Map([[28, "Action"]]));
    assert.deepEqual([m.genres, m.releaseDate, m.year, m.tmdbId], [["Action"], null, null, 5]);
  }
});

Deno.test("MovieLens ratings outside 0.5–5 or with a fractional timestamp are rejected", () => {
  assert.ok(
    check(movieLensRatingRow, { userId: "1", movieId: "2", rating: "0.5", timestamp: "0" }).ok,
  );
  const r = check(movieLensRatingRow, { userId: "1", movieId: "2", rating: "0", timestamp: "1.5" });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(
      r.reason,
      /rating: expected a rating between 0.5 and 5; timestamp: expected a whole number/,
    );
  }
});

Deno.test("an interaction needs positive user and movie ids", () => {
  const r = check(interactionRecord, {
    userId: 0,
    movieId: 1,
    ts: 1,
    rating: null,
    watchSeconds: 10,
    source: "synthetic",
  });
  assert.equal(r.ok, false);
});
