/** The load benchmark: its wrk script counts answers by kind, and a short run promotes a model with every request answered (needs wrk). */
import assert from "node:assert/strict";
import { benchLoad } from "../../../src/bench/load.ts";
import { MIX, mixScript, parseKinds } from "../../../src/bench/load_script.ts";
import { haveWrk } from "../../../src/bench/wrk.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { servingFixture } from "../../helpers/serving.ts";

Deno.test("the mix script draws every kind and its done() lines parse back by kind", () => {
  const script = mixScript({
    users: [1, 2],
    movies: [5, 6],
    visitorBodies: [`{"history":[1],"k":10}`, "it's"],
  });
  for (const path of ["/api/v1/users/", "/api/v1/recommendations", "/movies/", "/api/v1/events"]) {
    assert.ok(script.includes(path), path);
  }
  assert.ok(script.includes(`'it\\'s'`), "bodies are quoted for Lua");
  assert.equal(Object.values(MIX).reduce((a: number, b) => a + b, 0), 100);
  assert.deepEqual(parseKinds("Requests/sec: 1\nkind users 10 0\nkind events 3 1\n"), {
    users: { ok: 10, bad: 0 },
    events: { ok: 3, bad: 1 },
  });
});

const wrk = await haveWrk();

dbTest(
  `benchLoad() runs the mix with a promotion half-way, no failed request, and moves production back${
    wrk ? "" : " (skipped: needs the Debian package wrk)"
  }`,
  async (db) => {
    const f = await servingFixture(db);
    await f.close();
    const r = await benchLoad(f.ctx, {
      seconds: 2,
      warmupSeconds: 1,
      connections: 8,
      wrkThreads: 1,
    });
    assert.equal(r.errors, 0, JSON.stringify(r));
    for (const [kind, n] of Object.entries(r.by_kind)) {
      assert.ok(n.ok > 0, `${kind} answered ${n.ok} times`);
      assert.equal(n.bad, 0, kind);
    }
    assert.equal(r.promotion?.from, 1);
    assert.equal(r.promotion?.to, 2);
    assert.ok(r.p50_ms > 0 && r.p99_ms >= r.p50_ms && r.rss_after_warmup_mb > 0);
    assert.equal((await f.ctx.registry.getAlias(MODEL_NAME, "production"))?.version, 1);
    const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    assert.ok(n >= r.by_kind.events.ok, "every watch event was stored");
  },
  { ignore: !wrk },
);
