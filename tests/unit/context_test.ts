/** The composition root: stores are wired on the given database and object store and closed together. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createContext, openStorageContext } from "../../src/context.ts";
import type { Database } from "../../src/db/types.ts";
import { MemoryObjectStore } from "./tracking/support.ts";

function fakeDb(closed: string[]): Database {
  return {
    kind: "pglite",
    query: () => Promise.reject(new Error("no SQL expected")),
    exec: () => Promise.reject(new Error("no SQL expected")),
    transaction: () => Promise.reject(new Error("no SQL expected")),
    listen: () => Promise.reject(new Error("no SQL expected")),
    close: () => {
      closed.push("db");
      return Promise.resolve();
    },
  };
}

Deno.test("createContext().close() closes the object store, then the database, once each", async () => {
  const closed: string[] = [];
  const objects = new MemoryObjectStore();
  objects.close = () => void closed.push("objects");
  const ctx = createContext({ config: loadConfig({}), db: fakeDb(closed), objects });
  assert.equal(ctx.objects, objects);
  await ctx.close();
  assert.deepEqual(closed, ["objects", "db"]);
});

Deno.test("createContext().close() still closes the database when the object store fails to close", async () => {
  const closed: string[] = [];
  const objects = new MemoryObjectStore();
  objects.close = () => {
    throw new Error("socket stuck");
  };
  const ctx = createContext({ config: loadConfig({}), db: fakeDb(closed), objects });
  await assert.rejects(ctx.close(), /socket stuck/);
  assert.deepEqual(closed, ["db"]);
});

Deno.test("openStorageContext() opens the configured object store without a database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const storage = openStorageContext(loadConfig({ OBJECT_STORE_URL: `file://${dir}` }));
    assert.equal(storage.objects.url, `file://${dir}`);
    assert.equal("db" in storage, false);
    await storage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
