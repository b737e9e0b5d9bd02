/** The database goes away while serving: known users are still answered from memory, /ready and writes say 503 why, and all recovers without a restart. */
import assert from "node:assert/strict";
import { migrate } from "../../../src/db/migrate.ts";
import { openPostgres } from "../../../src/db/postgres.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { postJson, servingFixture } from "../../helpers/serving.ts";
import { pollUntil, processTest } from "./cli.ts";
import { ownedPostgresSkipReason, startOwnedPostgres } from "./owned_postgres.ts";

const skip = ownedPostgresSkipReason();

const event = (eventId: string, movieId: number) => ({
  eventId,
  userId: 3,
  movieId,
  type: "watch",
  timestamp: 1_800_000_000,
});

processTest(
  "with PostgreSQL stopped, known users get model answers from memory, /ready and writes answer 503, and a restart of PostgreSQL alone brings everything back",
  skip,
  async () => {
    const pg = await startOwnedPostgres();
    const db = await openPostgres(pg.url, { max: 4 });
    try {
      await migrate(db, { quiet: true });
      const f = await servingFixture(db);
      try {
        const { app } = f;
        const recs = async (user: number) => {
          const res = await app.request(`/api/v1/users/${user}/recommendations?k=5`);
          return { status: res.status, body: await res.json() };
        };
        const before = await recs(3);
        assert.equal(before.status, 200);
        assert.equal(before.body.strategy, "model");
        assert.equal((await app.request("/ready")).status, 200);

        await pg.stop("fast");

        // Reads the server holds in memory: every known user, cached or not.
        for (const user of [3, 4, 5, 6, 7]) {
          const r = await recs(user);
          assert.equal(r.status, 200, `user ${user}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.strategy, "model");
          assert.equal(r.body.items.length, 5);
        }
        assert.deepEqual((await recs(3)).body.items, before.body.items);
        const visitor = await app.request(
          "/api/v1/recommendations",
          postJson({ history: [1, 2, 3], k: 3 }),
        );
        assert.equal(visitor.status, 200, "a visitor's history is scored without the database");

        const ready = await app.request("/ready");
        assert.equal(ready.status, 503);
        assert.deepEqual(await ready.json(), {
          status: "unavailable",
          modelVersion: 1,
          reason: "the database does not answer",
        });

        const write = await app.request("/api/v1/events", postJson(event("down-1", 40)));
        assert.equal(write.status, 503);
        const body = await write.json();
        assert.equal(body.error.code, "UNAVAILABLE");
        assert.match(
          body.error.message,
          /the database is unavailable .*retry when PostgreSQL is back/,
        );
        assert.ok(body.requestId);
        // A read that needs the database says so too (503, not a 500).
        const search = await app.request("/api/v1/movies?query=Movie");
        assert.equal(search.status, 503);
        assert.equal((await search.json()).error.code, "UNAVAILABLE");

        await pg.start();

        assert.equal((await app.request("/ready")).status, 200, "ready again without a restart");
        const again = await app.request("/api/v1/events", postJson(event("down-1", 40)));
        assert.equal(again.status, 201, "the write refused while down is accepted now");
        const after = await recs(3);
        assert.ok(
          !after.body.items.some((m: { id: number }) => m.id === 40),
          "the event reached the answers",
        );
        const stored = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
        assert.equal(
          stored[0].n,
          1,
          "the refused attempt stored nothing; the retry stored one row",
        );

        // Alias notifications flow again once the listening connection is back (postgres.js
        // reconnects it with a backoff; a NOTIFY sent before then is lost, which the 5 s alias
        // poll covers in production: the fixture turns the poll off, so only NOTIFY can switch).
        await pollUntil("the LISTEN connection to be back", async () => {
          const [{ n }] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE query ILIKE 'listen %' AND state = 'idle'`,
          );
          return n > 0 || undefined;
        }, 60_000);
        const other = await openPostgres(pg.url, { max: 1 });
        try {
          const registry = new SqlModelRegistry(other, { objects: f.objects });
          const { bytes } = await registry.loadArtifact(MODEL_NAME, 1);
          const v2 = (await registry.registerVersion(MODEL_NAME, { artifact: bytes })).version;
          await registry.promote(MODEL_NAME, v2);
          await pollUntil(
            "the NOTIFY to switch the server",
            () => Promise.resolve(f.serving.version() === v2 || undefined),
          );
          assert.equal((await recs(4)).body.modelVersion, v2);
        } finally {
          await other.close();
        }
      } finally {
        await f.close();
      }
    } finally {
      await db.close().catch(() => {});
      await pg.close();
    }
  },
);
