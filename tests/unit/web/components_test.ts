/** Pure helpers of the pages: placeholder colours and title lines, chart alignment, number formats. */
import assert from "node:assert/strict";
import { alignSeries } from "../../../web/components/curves.ts";
import { duration, metric } from "../../../web/components/format.ts";
import { genreHue, wrapTitle } from "../../../web/components/poster.tsx";

Deno.test("genreHue() gives the same hue for the same genres in any order, and other genres another", () => {
  assert.equal(genreHue(["Drama", "Comedy"]), genreHue(["Comedy", "Drama"]));
  assert.notEqual(genreHue(["Comedy"]), genreHue(["Drama"]));
  assert.ok(genreHue([]) >= 0 && genreHue([]) < 360);
});

Deno.test("wrapTitle() breaks at words and cuts the last allowed line with an ellipsis", () => {
  assert.deepEqual(wrapTitle("The Lord of the Rings", { width: 10, maxLines: 3 }), [
    "The Lord",
    "of the",
    "Rings",
  ]);
  assert.deepEqual(wrapTitle("one two three four", { width: 5, maxLines: 2 }), ["one", "two…"]);
  assert.deepEqual(wrapTitle("Supercalifragilistic", { width: 5, maxLines: 2 }), [
    "Supercalifragilistic",
  ]);
});

Deno.test("alignSeries() puts every series on the union of steps with null where one has no value", () => {
  const data = alignSeries([
    { label: "a", points: [[1, 0.5], [2, 0.4], [3, 0.3]] },
    { label: "b", points: [[1, 0.6], [2, 0.45]] },
  ]);
  assert.deepEqual(data, [[1, 2, 3], [0.5, 0.4, 0.3], [0.6, 0.45, null]]);
});

Deno.test("metric() and duration() format scores, integers, gaps and run lengths", () => {
  assert.deepEqual([metric(0.07351), metric(9742), metric(null), metric(123.456)], [
    "0.0735",
    "9,742",
    "—",
    "123.5",
  ]);
  const t = new Date(0);
  assert.equal(duration(t, new Date(4200)), "4.2 s");
  assert.equal(duration(t, new Date(185_000)), "3 min 05 s");
  assert.equal(duration(t, new Date(3_720_000)), "1 h 02 min");
  assert.equal(duration(t, null), "—");
});
