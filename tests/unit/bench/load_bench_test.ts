/** The load benchmark: its wrk script counts answers by kind, and a short run promotes a model with every request answered (needs wrk). */
import assert from "node:assert/strict";
import { benchLoad, failedRequests } from "../../../src/bench/load.ts";
import { MIX, mixScript, parseKinds } from "../../../src/bench/load_script.ts";
import { haveWrk, parseWrk } from "../../../src/bench/wrk.ts";
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

Deno.test("a 3xx answer is a failed request: errors are socket errors, every non-2xx answer by kind, and untagged answers", () => {
  // users: a 302 and a 404; movies: a 301; one answer without its request id. wrk's own
  // "Non-2xx or 3xx" line counts only the 404.
  const output = `  1000 requests in 2.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 1
Requests/sec:    500.00
kind users 500 2
kind visitors 200 0
kind movies 198 1
kind events 95 0
kind unknown 1 0
`;
  const run = parseWrk(output);
  assert.equal(run.socketErrors, 3);
  assert.equal(run.errors, 4, "wrk: the 404 and the socket errors");
  assert.equal(failedRequests(run.socketErrors, parseKinds(output)), 3 + 2 + 1 + 1);
  assert.equal(failedRequests(0, parseKinds("kind users 5 0\nkind events 2 0\n")), 0);
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
