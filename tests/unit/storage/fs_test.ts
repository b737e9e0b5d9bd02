/** Folder-store specifics: temp files live beside the target and never show as objects. */
import assert from "node:assert/strict";
import { FsObjectStore } from "../../../src/storage/fs.ts";
import { TEMP_PREFIX } from "../../../src/storage/keys.ts";

Deno.test("FsObjectStore.put() writes into a temp file in the key's folder and renames it into place", async () => {
  const root = await Deno.makeTempDir();
  const store = new FsObjectStore(root);
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const writing = store.put("a/b.bin", new ReadableStream({ start: (c) => void (ctrl = c) }));
  ctrl.enqueue(new Uint8Array([1, 2, 3]));
  // Wait until the temp file exists: the write is then visibly in progress.
  let names: string[] = [];
  while (!names.some((n) => n.startsWith(TEMP_PREFIX))) {
    names = await Array.fromAsync(Deno.readDir(`${root}/a`), (e) => e.name).catch(() => []);
    await new Promise((r) => setTimeout(r, 0)); // a yield to the writer, not a timed wait
  }
  assert.deepEqual(await store.list(""), []);
  assert.equal(await store.head("a/b.bin"), null);
  ctrl.close();
  await writing;
  assert.deepEqual(await Array.fromAsync(Deno.readDir(`${root}/a`), (e) => e.name), ["b.bin"]);
  await store.delete("a/b.bin");
  assert.deepEqual(
    await Array.fromAsync(Deno.readDir(root), (e) => e.name),
    [],
    "empty folders are removed too",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("FsObjectStore refuses a relative root folder", () => {
  assert.throws(
    () => new FsObjectStore("relative/dir"),
    /must be an absolute path, got "relative\/dir"/,
  );
});
