/** The typed-array batch codec between the main thread and the scorer worker: lossless both ways. */
import assert from "node:assert/strict";
import {
  buffers,
  packAnswers,
  packRequests,
  unpackAnswers,
  unpackRequests,
} from "../../../src/serving/rank_codec.ts";
import type { Ranked, RankRequest } from "../../../src/serving/scorer.ts";

Deno.test("packRequests/unpackRequests keep every history, k and the rarer fields where they were set", () => {
  const requests: RankRequest[] = [
    { history: [1, 2, 3], k: 10 },
    { history: [], k: 1, exclude: [7, 8] },
    { history: [2 ** 31 - 1], k: 100, genre: "Drama", explain: true },
  ];
  const packed = packRequests(requests);
  assert.equal(packed.extras.length, 2, "only requests with extras carry an object");
  assert.equal(buffers(packed).length, 3);
  assert.deepEqual(unpackRequests(structuredClone(packed)), requests);
});

Deno.test("packAnswers/unpackAnswers keep ids, float32 scores and explanations, answer by answer", () => {
  const answers: Ranked[][] = [
    [{ movieId: 5, score: Math.fround(0.1) }, { movieId: 9, score: Math.fround(-2.5) }],
    [],
    [{ movieId: 1, score: 3, because: [{ movieId: 4, contribution: Math.fround(0.25) }] }, {
      movieId: 2,
      score: 1,
    }],
  ];
  const packed = packAnswers(answers);
  assert.ok(packed.scores instanceof Float32Array && packed.ids instanceof Int32Array);
  const back = unpackAnswers(structuredClone(packed));
  assert.deepEqual(back, answers);
  assert.equal("because" in back[0][0], false, "no because where none was given");
});
