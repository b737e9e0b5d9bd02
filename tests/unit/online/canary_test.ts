/** promoteStaging(): production takes staging's version, staging is removed and the canary stops, in one transaction. */
import assert from "node:assert/strict";
import type { Sql } from "../../../src/db/types.ts";
import { getCanary, promoteStaging, setCanary } from "../../../src/online/canary.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { MemoryObjectStore } from "../tracking/support.ts";

const now = new Date("2026-01-01T00:00:00Z");

/** `db` whose statements matching `re` fail (in transactions too), before reaching the database. */
function failingAt(db: Sql, re: RegExp): Sql {
  const wrap = (sql: Sql): Sql => ({
    query: (text, params) =>
      re.test(text) ? Promise.reject(new Error(`refused: ${re}`)) : sql.query(text, params),
    exec: (text) => sql.exec(text),
    transaction: (fn) => sql.transaction((tx) => fn(wrap(tx))),
  });
  return wrap(db);
}

/**
 * Versions 1 (production) and 2 (staging) of `model`, a canary at 50 % with a 20 % shadow; a
 * registry on `sql`.
 */
async function setup(db: Sql, options: { sql?: Sql; model?: string } = {}) {
  const model = options.model ?? MODEL_NAME;
  const objects = new MemoryObjectStore();
  const seed = new SqlModelRegistry(db, { objects, clock: () => now });
  for (const a of ["one", "two"]) {
    await seed.registerVersion(model, { artifact: new TextEncoder().encode(a) });
  }
  await seed.setAliases(model, { production: 1, staging: 2 });
  await setCanary(db, model, { share: 0.5, shadowShare: 0.2, now });
  return new SqlModelRegistry(options.sql ?? db, { objects, clock: () => now });
}

/** Production, staging and the canary's shares of `model` as stored. */
async function state(db: Sql, registry: SqlModelRegistry, model = MODEL_NAME) {
  const c = await getCanary(db, model);
  return {
    production: (await registry.getAlias(model, "production"))?.version ?? null,
    staging: (await registry.getAlias(model, "staging"))?.version ?? null,
    share: Math.round(c.share * 100) / 100,
    shadowShare: Math.round(c.shadowShare * 100) / 100,
  };
}

dbTest(
  "promoteStaging() makes staging production, removes staging and stops the canary",
  async (db) => {
    const registry = await setup(db);
    const moved = await promoteStaging({ registry }, MODEL_NAME, { reason: "by hand", now });
    assert.deepEqual(moved, { fromVersion: 1, toVersion: 2 });
    assert.deepEqual(await state(db, registry), {
      production: 2,
      staging: null,
      share: 0,
      shadowShare: 0,
    });
    const [last] = (await registry.aliasHistory(MODEL_NAME, { alias: "production" })).slice(-1);
    assert.deepEqual([last.toVersion, last.kind, last.reason], [2, "promote", "by hand"]);
  },
);

dbTest(
  "promoteStaging() is one transaction: a failure stopping the canary or removing staging changes nothing",
  async (db) => {
    // The canary's write fails: no alias may have moved. Removing staging fails (after
    // production moved and the canary stopped, in the same transaction): nothing may stay.
    const cases = [
      ["canary-write-fails", /INSERT INTO canary_settings/],
      ["staging-removal-fails", /DELETE FROM model_aliases/],
    ] as const;
    for (const [model, re] of cases) {
      const registry = await setup(db, { sql: failingAt(db, re), model });
      const before = await state(db, registry, model);
      assert.deepEqual(before, { production: 1, staging: 2, share: 0.5, shadowShare: 0.2 });
      await assert.rejects(
        promoteStaging({ registry }, model, { reason: "by hand", now }),
        /refused/,
      );
      assert.deepEqual(await state(db, registry, model), before, model);
    }
  },
);

dbTest(
  "promoteStaging() without a staging version is a CONFLICT and leaves the canary as it was",
  async (db) => {
    const registry = await setup(db);
    await registry.setAliases(MODEL_NAME, { staging: null });
    await assert.rejects(
      promoteStaging({ registry }, MODEL_NAME, { reason: "by hand", now }),
      (err: Error & { code?: string }) =>
        err.code === "CONFLICT" && /no staging version/.test(err.message),
    );
    assert.deepEqual(await state(db, registry), {
      production: 1,
      staging: null,
      share: 0.5,
      shadowShare: 0.2,
    });
  },
);
