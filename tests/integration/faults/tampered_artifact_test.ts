/** A model artifact altered in the object store is refused by a running `deno task serve`, which keeps the previous model; after a restart it serves nothing false. */
import assert from "node:assert/strict";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { pollUntil, processTest, runDeno, startServe, trainArgs } from "./cli.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

processTest(
  "a tampered artifact promoted from another process is refused and version 1 keeps serving; after a restart the server refuses it again and a rollback restores service",
  skip,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "reelrank-tamper-" });
    const stores = await startStores({ store: "file", objectsDir: `${dir}/objects` });
    const { db, objects, env } = stores;
    let server: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      await seedCatalog(db);
      const trained = await runDeno(trainArgs(), env);
      assert.equal(trained.code, 0, trained.output);

      // Version 2: the same weights under another key, then altered on disk (one byte).
      const registry = new SqlModelRegistry(db, { objects });
      const { bytes } = await registry.loadArtifact(MODEL_NAME, 1);
      const v2 = await registry.registerVersion(MODEL_NAME, { artifact: bytes });
      const path = `${dir}/objects/${v2.artifactKey}`;
      const altered = await Deno.readFile(path);
      altered[altered.length >> 1] ^= 0x01;
      await Deno.writeFile(path, altered);

      server = await startServe(env);
      const recs = () => `${server!.url}/api/v1/users/3/recommendations?k=5`;
      assert.equal((await getJson(recs())).body.modelVersion, 1);

      const promote = await runDeno(["task", "models", "promote", "2"], env);
      assert.equal(promote.code, 0, promote.output);
      await pollUntil("the server to try version 2", async () => {
        const text = await (await fetch(`${server!.url}/metrics`)).text();
        return /reelrank_model_load_failures_total\{reason="CORRUPT"\} 1/.test(text) || undefined;
      });
      const during = await getJson(recs());
      assert.equal(during.status, 200);
      assert.equal(during.body.modelVersion, 1, "the previous model keeps serving");
      assert.equal((await getJson(`${server.url}/api/v1/models`)).body.serving, 1);
      assert.match(server.command.output(), /altered/, "the refusal is logged");

      // Restarted with the tampered version as production: no model, said plainly; no 5xx.
      const stopped = server;
      server = undefined;
      assert.equal((await stopped.stop()).code, 0);
      server = await startServe(env);
      assert.match(
        server.command.output(),
        /serving without a model \(production version 2 failed to load \(CORRUPT\)/,
      );
      assert.match(server.command.output(), /version 2 is altered: .*refusing to load it/);
      const ready = await getJson(`${server.url}/ready`);
      assert.equal(ready.status, 503);
      assert.match(String(ready.body.reason), /version 2 failed to load \(CORRUPT\)/);
      const fallback = await getJson(recs());
      assert.equal(fallback.status, 200);
      assert.equal(fallback.body.strategy, "popularity");

      const rollback = await runDeno(["task", "models", "rollback", "1"], env);
      assert.equal(rollback.code, 0, rollback.output);
      await pollUntil("the server to load version 1", async () => {
        const r = await getJson(`${server!.url}/ready`);
        return r.status === 200 ? r : undefined;
      });
      assert.equal((await getJson(recs())).body.modelVersion, 1);
    } finally {
      await server?.stop();
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
