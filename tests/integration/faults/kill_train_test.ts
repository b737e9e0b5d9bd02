/** SIGKILL during `deno task train` and during its registration: no half-registered version, no alias to a missing artifact, and the next run succeeds. */
import assert from "node:assert/strict";
import { openPostgres } from "../../../src/db/postgres.ts";
import type { Database } from "../../../src/db/types.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { pollUntil, processTest, runDeno, spawnDeno, trainArgs as train } from "./cli.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { checkRegistry } from "./registry_check.ts";
import { startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

async function runs(db: Database): Promise<{ id: string; status: string }[]> {
  return await db.query("SELECT id, status FROM runs ORDER BY start_time, id");
}

/** Resolves once a backend of the command waits for the model's row lock. */
async function waitForLockWait(db: Database, status: Promise<unknown>): Promise<void> {
  let ended = false;
  status.then(() => ended = true);
  await pollUntil("the command to block on the registration's row lock", async () => {
    if (ended) throw new Error("the command ended without reaching the registration");
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND query ILIKE '%registered_models%FOR UPDATE%'`,
    );
    return n > 0 || undefined;
  }, 120_000);
}

processTest(
  "deno task train killed with SIGKILL while training, then while registering, leaves a consistent registry, and the next run succeeds each time",
  skip,
  async () => {
    const stores = await startStores({ store: "file" });
    const { db, objects, env, pg } = stores;
    try {
      await seedCatalog(db);

      // 1. Killed in the middle of training (after its second epoch, of 400).
      const first = spawnDeno(train(400), env);
      await first.waitFor(/member 1 epoch {2}2 /);
      first.kill();
      assert.equal((await first.status).signal, "SIGKILL");
      assert.deepEqual(await checkRegistry(db, objects), {
        lastVersion: 0,
        versions: [],
        aliases: {},
      });
      const [killed] = await runs(db);
      assert.equal(killed.status, "running", "the killed run is not marked finished");

      // 2. The next run succeeds and becomes production.
      const second = await runDeno(train(3), env);
      assert.equal(second.code, 0, second.output);
      assert.match(second.output, /registered version 1: /);
      const afterSecond = await checkRegistry(db, objects);
      assert.deepEqual(afterSecond.aliases, { production: 1 });

      // 3. Killed inside the registration transaction: another session holds the model's row
      // lock, the command blocks on it, and is killed there.
      const lock = await openPostgres(pg.url, { max: 1 });
      try {
        await lock.transaction(async (tx) => {
          await tx.query("SELECT 1 FROM registered_models WHERE name = 'reelrank' FOR UPDATE");
          const third = spawnDeno(train(3), env);
          await waitForLockWait(db, third.status);
          third.kill();
          assert.equal((await third.status).signal, "SIGKILL");
        });
      } finally {
        await lock.close();
      }
      assert.deepEqual(
        await checkRegistry(db, objects),
        afterSecond,
        "no version was half-registered and production did not move",
      );
      const killedInRegister = (await runs(db)).at(-1)!;
      assert.equal(killedInRegister.status, "running");
      const [{ n }] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM model_versions WHERE run_id = $1",
        [killedInRegister.id],
      );
      assert.equal(n, 0);

      // 4. And the next run succeeds again, as version 2 (the killed one used no number).
      const fourth = await runDeno(train(3), env);
      assert.equal(fourth.code, 0, fourth.output);
      assert.match(fourth.output, /registered version 2: /);
      const final = await checkRegistry(db, objects);
      assert.equal(final.lastVersion, 2);
      assert.deepEqual((await runs(db)).map((r) => r.status), [
        "running",
        "finished",
        "running",
        "finished",
      ]);
    } finally {
      await stores.close();
    }
  },
);
