/** openObjectStore(): the one place a URL picks the backend. */
import assert from "node:assert/strict";
import { openObjectStore } from "../../../src/storage/open.ts";
import { FsObjectStore } from "../../../src/storage/fs.ts";
import { S3ObjectStore } from "../../../src/storage/s3.ts";

const s3 = { region: "us-east-1", forcePathStyle: true, endpoint: "http://127.0.0.1:1" };

Deno.test("openObjectStore() picks the folder store for file:/// URLs and decodes the path", () => {
  const store = openObjectStore({ objectStoreUrl: "file:///tmp/reelrank%20objects", s3 });
  assert.ok(store instanceof FsObjectStore);
  assert.equal(store.url, "file:///tmp/reelrank%20objects");
});

Deno.test("openObjectStore() picks S3 for s3://bucket/prefix and normalises the prefix", () => {
  const store = openObjectStore({ objectStoreUrl: "s3://my-bucket/team/objects/", s3 });
  assert.ok(store instanceof S3ObjectStore);
  assert.equal(store.url, "s3://my-bucket/team/objects");
  (store as S3ObjectStore).close();
});

Deno.test("openObjectStore() rejects other schemes, file URLs with a host and bad bucket names", () => {
  assert.throws(
    () => openObjectStore({ objectStoreUrl: "http://x/y", s3 }),
    /must be file:\/\/\/path or s3:\/\/bucket\/prefix, got "http:\/\/x\/y"/,
  );
  assert.throws(() => openObjectStore({ objectStoreUrl: "file://host/x", s3 }), /names a host/);
  assert.throws(
    () => openObjectStore({ objectStoreUrl: "s3://Bad_Bucket/x", s3 }),
    /valid bucket name, got "s3:\/\/Bad_Bucket\/x"/,
  );
});
