/** The ObjectStore contract: every backend must pass these cases (registered per backend). */
import assert from "node:assert/strict";
import { ReelrankError } from "../../src/errors.ts";
import type { ObjectStore } from "../../src/storage/object_store.ts";

/** A fresh, empty store for one test, and how to dispose of it. */
export type StoreFactory = () => Promise<{ store: ObjectStore; close(): Promise<void> }>;

const enc = new TextEncoder();

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13, x ^= x >>> 17, x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A stream the test feeds by hand, so it can act while a write is half done. */
function controlledStream() {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
  return {
    stream,
    push: (b: Uint8Array) => ctrl.enqueue(b),
    end: () => ctrl.close(),
    fail: (e: Error) => ctrl.error(e),
  };
}

function rejectsWithCode(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ReelrankError, `expected a ReelrankError, got ${err}`);
    assert.equal(err.code, code);
    return true;
  };
}

/** Registers the contract's tests as `ObjectStore[<backend>] …`. */
export function objectStoreContract(backend: string, factory: StoreFactory): void {
  const test = (name: string, fn: (store: ObjectStore) => Promise<void>) =>
    Deno.test(`ObjectStore[${backend}] ${name}`, async () => {
      const { store, close } = await factory();
      try {
        await fn(store);
      } finally {
        await close();
      }
    });

  test("put() of bytes returns the size and sha256 of exactly what get() and head() then see", async (store) => {
    const body = bytesOf(70_001, 1);
    const res = await store.put("runs/r1/model.bin", body, {
      contentType: "application/octet-stream",
    });
    assert.deepEqual(res, {
      key: "runs/r1/model.bin",
      size: body.byteLength,
      sha256: await sha256(body),
    });
    assert.deepEqual(await store.get("runs/r1/model.bin"), body);
    const info = await store.head("runs/r1/model.bin");
    assert.equal(info?.key, "runs/r1/model.bin");
    assert.equal(info?.size, body.byteLength);
    assert.ok(info?.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()));
  });

  test("put() of a stream hashes every chunk and getStream() returns the same bytes", async (store) => {
    const chunks = [
      enc.encode("hello "),
      bytesOf(100_000, 2),
      new Uint8Array(0),
      enc.encode(" world"),
    ];
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    chunks.reduce((at, c) => (all.set(c, at), at + c.byteLength), 0);
    const res = await store.put("s/streamed.txt", ReadableStream.from(chunks));
    assert.equal(res.size, all.byteLength);
    assert.equal(res.sha256, await sha256(all));
    const back = new Uint8Array(
      await new Response(await store.getStream("s/streamed.txt")).arrayBuffer(),
    );
    assert.deepEqual(back, all);
  });

  test("put() of a stream larger than one upload part keeps every byte and the right sha256", async (store) => {
    const big = bytesOf(9 * 1024 * 1024 + 123, 3);
    const pieces = Array.from(
      { length: Math.ceil(big.byteLength / 65536) },
      (_, i) => big.subarray(i * 65536, (i + 1) * 65536),
    );
    const res = await store.put("big/blob.bin", ReadableStream.from(pieces));
    assert.deepEqual(res, { key: "big/blob.bin", size: big.byteLength, sha256: await sha256(big) });
    assert.equal(await sha256(await store.get("big/blob.bin")), res.sha256);
  });

  test("put() stores an empty object", async (store) => {
    const res = await store.put("empty", new Uint8Array(0));
    assert.equal(res.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.deepEqual(await store.get("empty"), new Uint8Array(0));
    assert.equal((await store.head("empty"))?.size, 0);
  });

  test("put() over an existing key replaces it, and readers see only the old or the new object", async (store) => {
    const oldBody = enc.encode("old version ".repeat(1000));
    const newBody = enc.encode("NEW VERSION! ".repeat(2000));
    await store.put("k/obj", oldBody);
    const feed = controlledStream();
    const writing = store.put("k/obj", feed.stream);
    feed.push(newBody.subarray(0, 5000));
    // Half the new object has been handed over: a reader must still get the whole old one.
    assert.deepEqual(await store.get("k/obj"), oldBody);
    assert.equal((await store.head("k/obj"))?.size, oldBody.byteLength);
    feed.push(newBody.subarray(5000));
    feed.end();
    assert.equal((await writing).size, newBody.byteLength);
    assert.deepEqual(await store.get("k/obj"), newBody);
    assert.deepEqual((await store.list("k/")).map((o) => o.key), ["k/obj"]);
  });

  test("put() whose stream fails leaves the previous object intact and no partial object behind", async (store) => {
    await store.put("k/obj", enc.encode("intact"));
    const feed = controlledStream();
    const writing = store.put("k/obj", feed.stream);
    feed.push(enc.encode("partial data"));
    feed.fail(new Error("source died"));
    await assert.rejects(writing, /source died/);
    assert.deepEqual(await store.get("k/obj"), enc.encode("intact"));
    await assert.rejects(
      store.put(
        "k/new",
        ReadableStream.from((async function* () {
          yield enc.encode("x");
          throw new Error("gone");
        })()),
      ),
      /gone/,
    );
    assert.equal(await store.head("k/new"), null);
    assert.deepEqual((await store.list("")).map((o) => o.key), ["k/obj"]);
  });

  test("get(), getStream() of a missing key throw NOT_FOUND; head() returns null; delete() is a no-op", async (store) => {
    await store.put("present", enc.encode("x"));
    await assert.rejects(store.get("absent"), rejectsWithCode("NOT_FOUND"));
    await assert.rejects(store.getStream("nested/absent"), rejectsWithCode("NOT_FOUND"));
    await assert.rejects(store.get("present/child"), rejectsWithCode("NOT_FOUND"));
    assert.equal(await store.head("absent"), null);
    await store.delete("absent");
    await store.delete("nested/deeper/absent");
  });

  test("list() returns the objects under a prefix sorted by key, including partial segments", async (store) => {
    for (
      const k of [
        "snapshots/b/x.gz",
        "snapshots/a/y.gz",
        "snapshots/a/b/z.gz",
        "snapshot.json",
        "models/m1.bin",
      ]
    ) {
      await store.put(k, enc.encode(k));
    }
    assert.deepEqual((await store.list("snapshots/")).map((o) => o.key), [
      "snapshots/a/b/z.gz",
      "snapshots/a/y.gz",
      "snapshots/b/x.gz",
    ]);
    assert.deepEqual((await store.list("snap")).map((o) => o.key), [
      "snapshot.json",
      "snapshots/a/b/z.gz",
      "snapshots/a/y.gz",
      "snapshots/b/x.gz",
    ]);
    assert.deepEqual((await store.list("snapshots/a/b")).map((o) => o.key), ["snapshots/a/b/z.gz"]);
    assert.deepEqual(await store.list("nothing/"), []);
    const all = await store.list("");
    assert.equal(all.length, 5);
    const m = all.find((o) => o.key === "models/m1.bin");
    assert.equal(m?.size, "models/m1.bin".length);
  });

  test("list() returns every key even past 1000 (pagination)", async (store) => {
    const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, enc.encode("v"))));
    }
    const listed = await store.list("many/");
    assert.equal(listed.length, 1003);
    assert.deepEqual(listed.map((o) => o.key), keys);
  });

  test("delete() removes the object from get(), head() and list()", async (store) => {
    await store.put("a/b/c", enc.encode("1"));
    await store.put("a/d", enc.encode("2"));
    await store.delete("a/b/c");
    assert.equal(await store.head("a/b/c"), null);
    await assert.rejects(store.get("a/b/c"), rejectsWithCode("NOT_FOUND"));
    assert.deepEqual((await store.list("a/")).map((o) => o.key), ["a/d"]);
  });

  test("every method rejects keys that are absolute, empty, or escape with ..", async (store) => {
    const bad = ["", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a\\b", "tab\there"];
    for (const key of bad) {
      await assert.rejects(
        store.put(key, enc.encode("x")),
        rejectsWithCode("INVALID_PARAMETER"),
        `put(${JSON.stringify(key)})`,
      );
      await assert.rejects(
        store.get(key),
        rejectsWithCode("INVALID_PARAMETER"),
        `get(${JSON.stringify(key)})`,
      );
      await assert.rejects(store.head(key), rejectsWithCode("INVALID_PARAMETER"));
      await assert.rejects(store.delete(key), rejectsWithCode("INVALID_PARAMETER"));
    }
    await assert.rejects(store.list("../"), rejectsWithCode("INVALID_PARAMETER"));
    assert.deepEqual(await store.list(""), []);
  });

  test("keys with spaces, unicode and dots round-trip", async (store) => {
    const key = "odd names/é ☃/v1.2.3 (final).tar.gz";
    await store.put(key, enc.encode("ok"));
    assert.deepEqual(await store.get(key), enc.encode("ok"));
    assert.deepEqual((await store.list("odd names/")).map((o) => o.key), [key]);
  });
}
