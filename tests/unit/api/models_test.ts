/** Models, admin routes and hot reload: the token, promotion and rollback from any process, a failed load. */
import assert from "node:assert/strict";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { ADMIN_TOKEN, type Fixture, postJson, withFixture } from "../../helpers/serving.ts";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Registers the production artifact again as a new version (same weights, new number). */
async function secondVersion(f: Fixture): Promise<number> {
  const { bytes } = await f.ctx.registry.loadArtifact(MODEL_NAME, 1);
  return (await f.ctx.registry.registerVersion(MODEL_NAME, { artifact: bytes })).version;
}

dbTest(
  "admin routes answer 401 without the token or with a wrong one, and never echo it",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: "Bearer nope-nope-nope-nope" },
        { authorization: ADMIN_TOKEN },
      ];
      for (const headers of attempts) {
        const res = await app.request("/api/v1/models/1/promote", { method: "POST", headers });
        assert.equal(res.status, 401);
        const text = await res.text();
        assert.ok(!text.includes(ADMIN_TOKEN) && !text.includes("nope-nope"));
        assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/);
      }
    });
  },
);

dbTest("promote through the API switches the server to that version at once", async (db) => {
  await withFixture(db, async (f) => {
    const v2 = await secondVersion(f);
    const res = await f.app.request(`/api/v1/models/${v2}/promote`, {
      method: "POST",
      headers: auth,
    });
    assert.equal(res.status, 200);
    const change = await res.json();
    assert.deepEqual([change.fromVersion, change.toVersion, change.serving], [1, v2, v2]);
    const recs = await (await f.app.request("/api/v1/users/3/recommendations")).json();
    assert.equal(recs.modelVersion, v2);
    const models = await (await f.app.request("/api/v1/models")).json();
    assert.equal(models.serving, v2);
    assert.deepEqual(models.versions.map((v: { version: number }) => v.version), [v2, 1]);
    const back = await f.app.request("/api/v1/models/rollback", postJson({}, auth));
    assert.equal((await back.json()).serving, 1);
    assert.match(
      await f.metrics.registry.metrics(),
      /reelrank_model_info\{version="1",run="[0-9a-f-]+"\} 1/,
    );
  });
});

dbTest("a promotion made by another process reaches the server through NOTIFY", async (db) => {
  await withFixture(db, async (f) => {
    const v2 = await secondVersion(f);
    const switched = new Promise<number>((resolve) =>
      f.serving.holder.onSwitch((m) => resolve(m.version.version))
    );
    // The registry alone, as `deno task models promote` in another process would use it.
    await f.ctx.registry.promote(MODEL_NAME, v2);
    assert.equal(await switched, v2);
    assert.equal(f.serving.version(), v2);
  });
});

dbTest(
  "a version that fails verification is counted and logged while the old one keeps serving",
  async (db) => {
    await withFixture(db, async (f) => {
      const v2 = await secondVersion(f);
      const key = (await f.ctx.registry.getVersion(MODEL_NAME, v2)).artifactKey;
      const stored = f.objects.objects.get(key)!;
      stored.bytes = stored.bytes.slice();
      stored.bytes[100] ^= 0xff;
      const res = await f.app.request(`/api/v1/models/${v2}/promote`, {
        method: "POST",
        headers: auth,
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).serving, 1);
      const recs = await f.app.request("/api/v1/users/3/recommendations");
      assert.equal(recs.status, 200);
      assert.equal((await recs.json()).modelVersion, 1);
      assert.match(
        await f.metrics.registry.metrics(),
        /reelrank_model_load_failures_total\{reason="CORRUPT"\} 1/,
      );
      // Retried only after the retry delay, on the fake clock.
      assert.equal(await f.serving.watcher.check(), "skipped");
      f.clock.advance(61_000);
      assert.equal(await f.serving.watcher.check(), "failed");
    });
  },
);
