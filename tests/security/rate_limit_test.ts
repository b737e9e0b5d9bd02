/** The admin routes' rate limit: a bucket per client address, refilled over a minute; the public routes are not limited. */
import assert from "node:assert/strict";
import { rateLimiter } from "../../src/api/middleware/rate_limit.ts";
import { dbTest } from "../helpers/db.ts";
import { ADMIN_TOKEN, fakeClock, withFixture } from "../helpers/serving.ts";

Deno.test("rateLimiter() allows a burst of perMinute, then refills one token every 60/perMinute seconds", () => {
  const clock = fakeClock();
  const limit = rateLimiter({ perMinute: 3, clock: clock.now });
  assert.deepEqual([1, 2, 3].map(() => limit.take("a").allowed), [true, true, true]);
  assert.deepEqual(limit.take("a"), { allowed: false, retryAfterSeconds: 20 });
  assert.equal(limit.take("b").allowed, true, "another client has its own bucket");
  clock.advance(19_000);
  assert.equal(limit.take("a").allowed, false);
  clock.advance(2_000);
  assert.equal(limit.take("a").allowed, true);
});

Deno.test("rateLimiter() remembers at most maxClients, forgetting the longest idle first", () => {
  const clock = fakeClock();
  const limit = rateLimiter({ perMinute: 1, clock: clock.now, maxClients: 2 });
  limit.take("a");
  limit.take("b");
  assert.equal(limit.take("a").allowed, false, "a is remembered");
  limit.take("c"); // b, the longest idle, is forgotten
  assert.equal(limit.take("b").allowed, true, "b starts afresh");
});

dbTest(
  "admin requests over the limit answer 429 with Retry-After, with or without the token; public routes are not limited",
  async (db) => {
    await withFixture(db, async ({ app, clock }) => {
      const rollback = (authorization?: string) =>
        app.request("/api/v1/models/rollback", {
          method: "POST",
          headers: authorization ? { authorization } : {},
        });
      for (let i = 0; i < 30; i++) assert.equal((await rollback()).status, 401, `request ${i + 1}`);
      const limited = await rollback(`Bearer ${ADMIN_TOKEN}`);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "2");
      assert.equal((await limited.json()).error.code, "RATE_LIMITED");
      for (let i = 0; i < 40; i++) {
        const res = await app.request("/api/v1/movies?limit=1");
        await res.body?.cancel();
        assert.equal(res.status, 200);
      }
      clock.advance(2_000);
      // One token back: the admin route answers again (409: nothing to roll back to).
      assert.equal((await rollback(`Bearer ${ADMIN_TOKEN}`)).status, 409);
      assert.equal((await rollback()).status, 429);
    });
  },
);
