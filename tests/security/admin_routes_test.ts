/** Every state-changing route answers 401 without the admin token; the routes come from /openapi.json, so a new one cannot slip through. */
import assert from "node:assert/strict";
import { dbTest } from "../helpers/db.ts";
import { ADMIN_TOKEN, withFixture } from "../helpers/serving.ts";
import { fill, operations, PUBLIC_WRITES, SAFE } from "./support.ts";

dbTest(
  "every state-changing operation of /openapi.json needs the admin token, except the listed public writes",
  async (db) => {
    await withFixture(db, async ({ app, ctx }) => {
      const ops = await operations(app);
      const writes = ops.filter((o) => !SAFE.has(o.method));
      assert.ok(writes.length >= 4, `found ${writes.map((o) => `${o.method} ${o.path}`)}`);
      // The public list names real operations (so it cannot rot into a blanket exception).
      for (const key of Object.keys(PUBLIC_WRITES)) {
        assert.ok(
          writes.some((o) => `${o.method} ${o.path}` === key),
          `${key} is not in /openapi.json`,
        );
      }
      const before = await ctx.registry.listModels();
      let checked = 0;
      for (const op of writes) {
        const key = `${op.method} ${op.path}`;
        if (key in PUBLIC_WRITES) {
          assert.ok(!op.admin, `${key} is listed as public but documented as admin`);
          continue;
        }
        assert.ok(
          op.admin,
          `${key} changes state but /openapi.json does not say it needs the admin token`,
        );
        for (
          const authorization of [
            undefined,
            "Bearer wrong-token-wrong-token",
            `Basic ${btoa(ADMIN_TOKEN)}`,
          ]
        ) {
          const res = await app.request(fill(op.path), {
            method: op.method,
            headers: {
              "content-type": "application/json",
              ...(authorization ? { authorization } : {}),
            },
            body: "{}",
          });
          assert.equal(
            res.status,
            401,
            `${key} with ${authorization ?? "no token"} answered ${res.status}`,
          );
          const body = await res.json();
          assert.equal(body.error.code, "UNAUTHORIZED");
          assert.ok(!JSON.stringify(body).includes(ADMIN_TOKEN));
          checked++;
        }
      }
      assert.ok(checked >= 6, "at least the promote and rollback routes were tried");
      assert.deepEqual(await ctx.registry.listModels(), before, "nothing moved");
    }, { train: false });
  },
);

dbTest(
  "every operation documented as admin refuses a request without the token, whatever its method",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      for (const op of (await operations(app)).filter((o) => o.admin)) {
        const res = await app.request(fill(op.path), { method: op.method });
        assert.equal(res.status, 401, `${op.method} ${op.path}`);
      }
    }, { train: false });
  },
);
