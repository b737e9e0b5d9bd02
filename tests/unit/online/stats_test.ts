/** The statistics of online evaluation against values computed by hand (and R's prop.test without correction). */
import assert from "node:assert/strict";
import { meanInterval, normalCdf, twoProportionZTest, wilson } from "../../../src/online/stats.ts";

const close = (a: number | null, b: number, eps = 1e-4) =>
  assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≉ ${b}`);

Deno.test("wilson() matches the Wilson score interval computed by hand", () => {
  // 30 of 100: centre (0.3 + 1.96²/200)/(1 + 1.96²/100), half-width 1.96·√(0.21/100 + 1.96²/40000)/(…)
  const e = wilson(30, 100);
  close(e.value, 0.3);
  close(e.low, 0.2189, 1e-4);
  close(e.high, 0.3958, 1e-4);
  // Zero successes: a real interval, not Wald's [0, 0].
  const z = wilson(0, 20);
  assert.equal(z.low, 0);
  close(z.high, 0.1611, 1e-4);
  assert.deepEqual(wilson(0, 0), { value: null, low: null, high: null, n: 0 });
});

Deno.test("meanInterval() is the mean ± 1.96 standard errors (sample standard deviation)", () => {
  // Values 1, 0.5, 0.25: mean 0.5833, sd 0.3819, se 0.2205.
  const e = meanInterval(1.75, 1 + 0.25 + 0.0625, 3);
  close(e.value, 0.58333);
  close(e.low, 0.58333 - 1.959964 * 0.381881 / Math.sqrt(3));
  close(e.high, 0.58333 + 1.959964 * 0.381881 / Math.sqrt(3));
});

Deno.test("normalCdf() and the two-proportion z-test match tabulated values", () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1.959964), 0.975, 1e-6);
  close(normalCdf(-1.644854), 0.05, 1e-6);
  // 120/1000 vs 150/1000: pooled p 0.135, se √(0.135·0.865·0.002) = 0.015283, z = 1.9630.
  const t = twoProportionZTest({ successes: 120, n: 1000 }, { successes: 150, n: 1000 });
  close(t.z, 1.963, 1e-3);
  close(t.pValue, 0.02482, 1e-4);
  assert.deepEqual(twoProportionZTest({ successes: 0, n: 10 }, { successes: 0, n: 10 }), {
    z: 0,
    pValue: 1,
  });
});
