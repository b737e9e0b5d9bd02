/** The S3 store goes down in the middle of a snapshot and of a registration: retried, then a clean failure, recorded, nothing promoted or half-visible. */
import assert from "node:assert/strict";
import { seedCatalog } from "../../helpers/serving.ts";
import { processTest, runDeno, trainArgs } from "./cli.ts";
import { type FaultProxy, startFaultProxy } from "./fault_proxy.ts";
import { writeMovieLensFolder } from "./movielens_folder.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { checkRegistry } from "./registry_check.ts";
import { startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

/** PostgreSQL and an s3rver bucket that the commands reach through a proxy that can fail. */
async function setup() {
  let proxy!: FaultProxy;
  const stores = await startStores({
    store: "s3",
    endpoint: (s3) => {
      proxy = startFaultProxy({ hostname: "127.0.0.1", port: Number(new URL(s3.endpoint).port) });
      return proxy.url;
    },
  });
  return {
    ...stores,
    proxy,
    bucket: stores.s3!.bucket,
    async close() {
      proxy.close();
      await stores.close();
    },
  };
}

processTest(
  "S3 going down during a training run's registration: the client retries, the run is recorded failed and production stays; the next run succeeds",
  skip,
  async () => {
    const t = await setup();
    try {
      await seedCatalog(t.db);
      const first = await runDeno(trainArgs(), t.env);
      assert.equal(first.code, 0, first.output);
      const before = await checkRegistry(t.db, t.objects);
      assert.deepEqual(before.aliases, { production: 1 });

      // The registration first checks the run's uploaded artifact (HEAD): the store dies there.
      t.proxy.downOn(new RegExp(`^HEAD /${t.bucket}/runs/`, "m"));
      const second = await runDeno(trainArgs(), t.env);
      await t.proxy.wentDown;
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, /^error: S3 head "runs\/.*" on s3:\/\/reelrank-test failed: /m);
      assert.ok(
        t.proxy.refused() >= 2,
        `the client retried (${t.proxy.refused()} refused attempts)`,
      );

      const [run] = await t.db.query<{ status: string; status_reason: string }>(
        "SELECT status, status_reason FROM runs ORDER BY start_time DESC LIMIT 1",
      );
      assert.equal(run.status, "failed");
      assert.match(run.status_reason, /S3 head/);
      assert.deepEqual(
        await checkRegistry(t.db, t.objects),
        before,
        "nothing registered or promoted",
      );

      t.proxy.up();
      const third = await runDeno(trainArgs(), t.env);
      assert.equal(third.code, 0, third.output);
      assert.match(third.output, /registered version 2: /);
      assert.equal((await checkRegistry(t.db, t.objects)).lastVersion, 2);
    } finally {
      await t.close();
    }
  },
);

processTest(
  "S3 going down in the middle of a snapshot: ingest fails with one line, no snapshot is recorded or listed, and the next ingest writes it",
  skip,
  async () => {
    const t = await setup();
    const folder = await writeMovieLensFolder();
    try {
      // Parts are written table by table: ingest runs and movies are stored, interactions not.
      t.proxy.downOn(new RegExp(`^PUT /${t.bucket}/snapshots/parts/interactions-`, "m"));
      const ingest = ["task", "ingest", "--source", "movielens", "--path", folder];
      const first = await runDeno(ingest, t.env);
      await t.proxy.wentDown;
      assert.equal(first.code, 1, first.output);
      assert.match(
        first.output,
        /^error: S3 put "snapshots\/parts\/interactions-.*" on s3:\/\/reelrank-test failed/m,
      );
      assert.ok(
        t.proxy.refused() >= 2,
        `the client retried (${t.proxy.refused()} refused attempts)`,
      );
      const parts = (await t.objects.list("snapshots/")).map((o) => o.key);
      assert.ok(parts.some((k) => k.startsWith("snapshots/parts/movies-")), parts.join(", "));
      assert.ok(!parts.some((k) => k.startsWith("snapshots/parts/interactions-")));
      assert.ok(
        !parts.some((k) => k.startsWith("snapshots/manifests/")),
        "no manifest: no snapshot visible",
      );
      const [{ n }] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots");
      assert.equal(n, 0);

      t.proxy.up();
      const again = await runDeno(ingest, t.env);
      assert.equal(again.code, 0, again.output);
      const list = await runDeno(["task", "snapshot", "list"], t.env);
      assert.equal(list.code, 0, list.output);
      const [{ m }] = await t.db.query<{ m: number }>("SELECT count(*)::int AS m FROM snapshots");
      assert.equal(m, 1);
      assert.equal((await t.objects.list("snapshots/manifests/")).length, 1);
    } finally {
      await t.close();
      await Deno.remove(folder, { recursive: true });
    }
  },
);
