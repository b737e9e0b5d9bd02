/** Two `deno task serve` processes on one PostgreSQL and one S3 bucket: a promotion through one server's API reaches both without a restart. */
import assert from "node:assert/strict";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { pollUntil, processTest, runDeno, type ServeProcess, trainArgs } from "./cli.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { startServers, startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

async function servedVersion(server: ServeProcess, user: number): Promise<number | null> {
  const res = await fetch(`${server.url}/api/v1/users/${user}/recommendations?k=5`);
  const body = await res.json();
  if (res.status !== 200) {
    throw new Error(`${server.url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.modelVersion;
}

processTest(
  "two serve processes on PostgreSQL and an S3 bucket both switch to a version promoted through one server's admin API, without a restart",
  skip,
  async () => {
    const stores = await startStores({ store: "s3" });
    let servers: ServeProcess[] = [];
    try {
      await seedCatalog(stores.db);
      const trained = await runDeno(trainArgs(), stores.env);
      assert.equal(trained.code, 0, trained.output);
      servers = await startServers(stores, 2);
      for (const s of servers) assert.equal(await servedVersion(s, 3), 1);

      // Version 2 in the bucket (the same weights under a new number), promoted through server A.
      const registry = new SqlModelRegistry(stores.db, { objects: stores.objects });
      const { bytes } = await registry.loadArtifact(MODEL_NAME, 1);
      const v2 = (await registry.registerVersion(MODEL_NAME, { artifact: bytes })).version;
      const [a, b] = servers;
      const res = await fetch(`${a.url}/api/v1/models/${v2}/promote`, {
        method: "POST",
        headers: { authorization: `Bearer ${stores.token}` },
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).serving, v2, "server A switched before answering");
      assert.equal(await servedVersion(a, 4), v2);
      // Server B hears it through PostgreSQL's NOTIFY (or its 5 s poll).
      await pollUntil(
        "server B to serve version 2",
        async () => (await servedVersion(b, 4)) === v2 || undefined,
      );
      for (const s of servers) {
        const ready = await fetch(`${s.url}/ready`);
        assert.deepEqual(await ready.json(), { status: "ready", modelVersion: v2 });
      }
    } finally {
      for (const s of servers) await s.stop();
      await stores.close();
    }
  },
);
