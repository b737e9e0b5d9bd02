/** A small simulation: the promotion rule refuses a worse staging model and promotes a better one. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config.ts";
import { createContext } from "../../../src/context.ts";
import { configureLogging } from "../../../src/log.ts";
import { simulateCanary } from "../../../src/online/simulation.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { fakeClock } from "../../helpers/serving.ts";
import { MemoryObjectStore } from "../tracking/support.ts";

dbTest(
  "with the worse model on the canary production leads and the rule refuses; reversed, it promotes",
  async (db) => {
    configureLogging({ level: "warn" });
    const clock = fakeClock();
    const ctx = createContext({ config: loadConfig({}), db, objects: new MemoryObjectStore() }, {
      clock: clock.now,
    });
    const r = await simulateCanary(ctx, {
      movies: 100,
      users: 200,
      moviesPerUser: 24,
      sessions: 2,
      share: 0.5,
      shadowShare: 0.2,
      minImpressions: 100,
      alpha: 0.05,
      seed: 3,
      params: { epochs: 12, patience: 12 },
      advance: clock.advance,
    });
    const a = r.worseOnCanary;
    assert.ok(a.production!.watchRate.value! > a.staging!.watchRate.value!, JSON.stringify(a));
    assert.equal(a.production!.version, r.world.good);
    assert.equal(a.verdict.promoted, false);
    assert.ok(a.verdict.production.impressions >= 100 && a.verdict.staging.impressions >= 100);
    assert.ok(a.shadow && a.shadow.lists > 0 && a.shadow.overlap10! < 1);
    const b = r.betterOnCanary;
    assert.ok(b.staging!.watchRate.value! > b.production!.watchRate.value!, JSON.stringify(b));
    assert.equal(b.verdict.promoted, true, b.verdict.reason);
    assert.ok(b.verdict.pValue < 0.05);
    assert.equal((await ctx.registry.getAlias(MODEL_NAME, "production"))?.version, r.world.good);
    assert.equal(await ctx.registry.getAlias(MODEL_NAME, "staging"), null);
  },
);

Deno.test("decideCanary() never promotes an arm below the minimum, however large the gap", async () => {
  const { decideCanary } = await import("../../../src/online/canary_rule.ts");
  const rule = { minImpressions: 500, alpha: 0.05 };
  const few = decideCanary({
    production: { version: 1, impressions: 499, watched: 10 },
    staging: { version: 2, impressions: 5_000, watched: 4_000 },
  }, rule);
  assert.equal(few.promote, false);
  assert.match(few.reason, /production has 499 impressions/);
  const enough = decideCanary({
    production: { version: 1, impressions: 500, watched: 100 },
    staging: { version: 2, impressions: 500, watched: 130 },
  }, rule);
  assert.equal(enough.promote, true, enough.reason);
  const tie = decideCanary({
    production: { version: 1, impressions: 5_000, watched: 1_000 },
    staging: { version: 2, impressions: 5_000, watched: 1_010 },
  }, rule);
  assert.equal(tie.promote, false, "a gap within noise is not promoted");
});
