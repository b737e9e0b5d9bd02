/** Canary assignment: the hash is stable and splits ids in the configured share. */
import assert from "node:assert/strict";
import { inShare, subjectKey, unitHash } from "../../../src/online/assign.ts";

Deno.test("unitHash() is stable: the same id always lands on the same value in [0, 1)", () => {
  // Pinned values: a change of hash would move users between arms mid-canary.
  assert.equal(unitHash("u:1"), unitHash("u:1"));
  const pinned = ["canary|u:1", "canary|u:2", "canary|v:abcdefgh"].map(unitHash);
  assert.deepEqual(pinned.map((x) => x.toFixed(6)), ["0.473879", "0.711919", "0.745375"]);
  for (const x of pinned) assert.ok(x >= 0 && x < 1);
  assert.notEqual(pinned[0], pinned[1]);
  assert.equal(unitHash(""), unitHash(""));
});

Deno.test("inShare() puts the configured share of 10,000 users and of 10,000 visitors in the canary (±2 %)", () => {
  for (const share of [0.05, 0.1, 0.25, 0.5, 0.9]) {
    for (
      const make of [
        (i: number) => ({ userId: i + 1 }),
        (i: number) => ({ visitorId: `v-${i.toString(16).padStart(16, "0")}` }),
      ]
    ) {
      let n = 0;
      for (let i = 0; i < 10_000; i++) if (inShare(subjectKey(make(i)), share)) n++;
      assert.ok(Math.abs(n / 10_000 - share) <= 0.02, `share ${share}: ${n} of 10,000`);
    }
  }
});

Deno.test("inShare() keeps a user in one arm, nests the arms as the share grows, and never includes nobody", () => {
  for (let i = 1; i <= 500; i++) {
    const key = subjectKey({ userId: i });
    assert.equal(inShare(key, 0.3), inShare(key, 0.3));
    // Raising the share only adds users: nobody in the 10 % canary leaves it at 30 %.
    if (inShare(key, 0.1)) assert.ok(inShare(key, 0.3));
  }
  assert.equal(inShare(null, 1), false);
  assert.equal(inShare("u:1", 0), false);
  assert.equal(subjectKey({ userId: 3, visitorId: "x" }), "u:3");
});

Deno.test("the shadow sample is independent of the canary split", () => {
  let both = 0, canary = 0;
  for (let i = 0; i < 10_000; i++) {
    const key = `u:${i}`;
    const c = inShare(key, 0.5);
    if (c) canary++;
    if (c && inShare(key, 0.5, "shadow")) both++;
  }
  assert.ok(Math.abs(both / canary - 0.5) < 0.03, `${both} of ${canary}`);
});
