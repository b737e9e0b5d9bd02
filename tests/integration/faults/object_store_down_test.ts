/** The S3 store goes down in the middle of a snapshot and of a registration: retried, then a clean failure, recorded, nothing promoted or half-visible. */
import assert from "node:assert/strict";
import { migrate } from "../../../src/db/migrate.ts";
import { openPostgres } from "../../../src/db/postgres.ts";
import { S3ObjectStore } from "../../../src/storage/s3.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { startS3Server } from "../../helpers/s3.ts";
import { commandEnv, runDeno } from "./cli.ts";
import { startFaultProxy } from "./fault_proxy.ts";
import { writeMovieLensFolder } from "./movielens_folder.ts";
import { ownedPostgresSkipReason, startOwnedPostgres } from "./owned_postgres.ts";
import { checkRegistry } from "./registry_check.ts";

const skip = ownedPostgresSkipReason();
if (skip) console.warn(`skipping the object-store fault tests: ${skip}`);

const SMALL = [
  "--dim=16",
  "--hidden=32",
  "--projection=0",
  "--batch=64",
  "--negatives=64",
  "--members=1",
  "--average-top=1",
  "--epochs=3",
  "--patience=3",
  "--seed=3",
];

/** An S3 bucket behind a proxy that can fail, PostgreSQL, and the commands' environment. */
async function setup() {
  const pg = await startOwnedPostgres();
  const s3 = await startS3Server();
  const proxy = startFaultProxy({ hostname: "127.0.0.1", port: Number(new URL(s3.endpoint).port) });
  const dir = await Deno.makeTempDir({ prefix: "reelrank-s3-down-" });
  const env = commandEnv({
    DATABASE_URL: pg.url,
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: proxy.url,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    REELRANK_DATA_DIR: `${dir}/data`,
    REELRANK_THREADS: "1",
  });
  // The test reads the bucket directly, not through the proxy.
  const objects = new S3ObjectStore(`s3://${s3.bucket}`, {
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
  });
  const db = await openPostgres(pg.url, { max: 2 });
  await migrate(db, { quiet: true });
  return {
    pg,
    s3,
    proxy,
    env,
    objects,
    db,
    async close() {
      proxy.close();
      objects.close();
      await db.close();
      await s3.close();
      await pg.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "S3 going down during a training run's registration: the client retries, the run is recorded failed and production stays; the next run succeeds",
  ignore: skip !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await setup();
    try {
      await seedCatalog(t.db);
      const first = await runDeno(["task", "train", ...SMALL], t.env);
      assert.equal(first.code, 0, first.output);
      const before = await checkRegistry(t.db, t.objects);
      assert.deepEqual(before.aliases, { production: 1 });

      // The registration first checks the run's uploaded artifact (HEAD): the store dies there.
      t.proxy.downOn(new RegExp(`^HEAD /${t.s3.bucket}/runs/`, "m"));
      const second = await runDeno(["task", "train", ...SMALL], t.env);
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
      const third = await runDeno(["task", "train", ...SMALL], t.env);
      assert.equal(third.code, 0, third.output);
      assert.match(third.output, /registered version 2: /);
      assert.equal((await checkRegistry(t.db, t.objects)).lastVersion, 2);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "S3 going down in the middle of a snapshot: ingest fails with one line, no snapshot is recorded or listed, and the next ingest writes it",
  ignore: skip !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await setup();
    const folder = await writeMovieLensFolder();
    try {
      // Parts are written table by table: ingest runs and movies are stored, interactions not.
      t.proxy.downOn(new RegExp(`^PUT /${t.s3.bucket}/snapshots/parts/interactions-`, "m"));
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
});
