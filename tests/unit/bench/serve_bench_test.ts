/** The serving benchmark: wrk's output is read right, and a short run yields every figure (needs wrk). */
import assert from "node:assert/strict";
import { benchServe } from "../../../src/bench/serve.ts";
import { haveWrk, parseWrk } from "../../../src/bench/wrk.ts";
import { dbTest } from "../../helpers/db.ts";
import { servingFixture } from "../../helpers/serving.ts";

const WRK_OUTPUT = `Running 10s test @ http://127.0.0.1:8000/health
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.95ms  410.12us   9.01ms   88.10%
  Latency Distribution
     50%  850.00us
     75%    2.10ms
     90%    2.50ms
     99%    1.20s
  310000 requests in 10.00s, 45.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  31000.55
Transfer/sec:      4.50MB
`;

Deno.test("parseWrk() reads requests/s, p50 and p99 in any unit, and counts errors", () => {
  assert.deepEqual(parseWrk(WRK_OUTPUT), {
    rps: 31000.55,
    p50_ms: 0.85,
    p99_ms: 1200,
    requests: 310000,
    errors: 7,
    socketErrors: 3,
  });
});

const wrk = await haveWrk();

dbTest(
  `benchServe() reports every figure of a short run${
    wrk ? "" : " (skipped: needs the Debian package wrk)"
  }`,
  async (db) => {
    const f = await servingFixture(db);
    await f.close();
    const r = await benchServe(f.ctx, {
      seconds: 1,
      connections: 8,
      wrkThreads: 1,
      scorer: "local",
    });
    for (const key of ["rps", "infer_rps", "ceiling_rps", "capacity_per_s"] as const) {
      assert.ok(r[key] > 0, `${key} = ${r[key]}`);
    }
    assert.ok(r.p50_ms > 0 && r.p99_ms >= r.p50_ms);
    assert.ok(r.infer_p99_ms >= r.infer_p50_ms);
    // ratio is computed from the unrounded rates; rps and ceiling_rps are rounded to whole requests.
    const recomputed = r.rps / r.ceiling_rps;
    const slack = recomputed * (0.5 / r.rps + 0.5 / r.ceiling_rps) + 0.0005;
    assert.ok(Math.abs(r.ratio - recomputed) <= slack, `ratio ${r.ratio} vs ${recomputed}`);
    assert.ok(r.mean_batch >= 1);
    // Linux: the HTTP work of (2) is on the main thread.
    if (Deno.build.os === "linux") assert.ok(r.infer_cpu_us!.main_us > 0);
    assert.equal(r.errors, 0);
  },
  { ignore: !wrk },
);
