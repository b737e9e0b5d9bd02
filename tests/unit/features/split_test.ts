/** Tests of the leave-last-two-out split against hand-made data and the reference ml-latest-small split. */
import assert from "node:assert/strict";
import { historyIndices, splitInteractions, targetIndex } from "../../../src/features/split.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { readMlLatestSmall } from "./ml_latest_small.ts";

Deno.test("splitInteractions() orders by timestamp, breaks timestamp ties by numeric movie id and holds out the last two", () => {
  // user 7: ts 5 has movies 30 and 4 (tie → 4 before 30); numeric, so 100 sorts after 30.
  const split = splitInteractions({
    users: [7, 7, 7, 7, 7],
    items: [30, 4, 100, 2, 9],
    timestamps: [5, 5, 9, 1, 9],
  });
  const [u] = split.users;
  assert.deepEqual([...u.trainItems], [2, 4, 30]);
  assert.deepEqual([...u.trainTimestamps], [1, 5, 5]);
  assert.equal(u.valItem, 9);
  assert.equal(u.testItem, 100);
});

Deno.test("splitInteractions() drops users with fewer than 3 interactions and builds the universe from train items only", () => {
  const split = splitInteractions({
    users: [1, 1, 1, 1, 2, 2, 3, 3, 3],
    items: [50, 10, 20, 99, 5, 6, 10, 77, 88],
    timestamps: [1, 2, 3, 4, 1, 2, 1, 2, 3],
  });
  assert.equal(split.droppedUsers, 1);
  assert.deepEqual(split.users.map((u) => u.user), [1, 3]);
  // user 1 train = 50, 10; user 3 train = 10. Held-out 20, 99, 77, 88 are not in it.
  assert.deepEqual([...split.universe.ids], [10, 50]);
  assert.deepEqual([...split.users[0].trainIndices], [1, 0]);
  assert.equal(split.users[0].valIndex, -1);
  assert.equal(split.universe.indexOf(99), -1);
  assert.equal(split.universe.idAt(1), 50);
});

Deno.test("historyIndices() adds the validation item for test only, and only when it is in the universe", () => {
  const split = splitInteractions({
    users: [1, 1, 1, 1, 2, 2, 2, 2],
    items: [1, 2, 7, 4, 3, 1, 2, 8],
    timestamps: [1, 2, 3, 4, 1, 2, 3, 4],
  });
  // universe = {1, 2, 3}; user 1: train 1,2 val 7 (outside); user 2: train 3,1 val 2 (inside).
  const [a, b] = split.users;
  assert.deepEqual([...historyIndices(a, "validation")], [0, 1]);
  assert.deepEqual([...historyIndices(a, "test")], [0, 1]);
  assert.equal(targetIndex(a, "validation"), -1);
  assert.deepEqual([...historyIndices(b, "validation")], [2, 0]);
  assert.deepEqual([...historyIndices(b, "test")], [2, 0, 1]);
  assert.equal(targetIndex(b, "validation"), 1);
  assert.equal(targetIndex(b, "test"), -1);
});

Deno.test("splitInteractions() refuses columns of different lengths and non-integer ids with a message naming the value", () => {
  assert.throws(
    () => splitInteractions({ users: [1, 1], items: [1], timestamps: [1, 2] }),
    (e) => e instanceof ReelrankError && /users=2 items=1/.test(e.message),
  );
  assert.throws(
    () => splitInteractions({ users: [1, 1, 1], items: [1, 2.5, 3], timestamps: [1, 2, 3] }),
    (e) => e instanceof ReelrankError && /movie=2.5/.test(e.message),
  );
});

Deno.test("splitInteractions() reproduces shared/eval/split-ml-latest-small.tsv exactly", async () => {
  const split = splitInteractions(await readMlLatestSmall());
  const ref = (await Deno.readTextFile(
    new URL("../../fixtures/ml-latest-small-split/split.tsv", import.meta.url),
  )).trim().split("\n").slice(1);
  const mine = split.users.map((u) =>
    `${u.user}\t${u.valItem}\t${u.testItem}\t${u.trainItems.length}`
  );
  assert.equal(mine.length, 610);
  assert.deepEqual(mine, ref);
  assert.equal(split.universe.size, 9681);
  assert.equal(split.droppedUsers, 0);
});
