/** The folder object store: atomic writes by temp file + rename, sha256 computed while writing. */
import { createHash } from "node:crypto";
import { invalid, notFound, ReelrankError } from "../errors.ts";
import { TEMP_PREFIX, validateKey, validatePrefix } from "./keys.ts";
import type { ObjectInfo, ObjectStore, PutResult } from "./object_store.ts";
import { getLogger } from "../log.ts";

const log = getLogger("storage/fs");

function toStream(body: Uint8Array | ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body;
  return new ReadableStream({
    start(c) {
      c.enqueue(body);
      c.close();
    },
  });
}

/** An `ObjectStore` on a local folder; keys map to files below `root`. */
export class FsObjectStore implements ObjectStore {
  readonly url: string;
  readonly #root: string;

  /** `root` is an absolute folder path; it is created on first write. */
  constructor(root: string) {
    if (!root.startsWith("/")) {
      throw invalid(`object store folder must be an absolute path, got "${root}"`);
    }
    this.#root = root.replace(/\/+$/, "") || "/";
    this.url = new URL(`file://${this.#root}`).href;
  }

  #path(key: string): string {
    return `${this.#root}/${validateKey(key)}`;
  }

  /**
   * Streams `body` into a temp file in the key's folder, hashing as it goes, fsyncs it, then
   * renames it over the key: rename within one folder is atomic, so readers see the old file or
   * the new one. A failed write removes the temp file and leaves the old object untouched.
   */
  async put(key: string, body: Uint8Array | ReadableStream<Uint8Array>): Promise<PutResult> {
    const path = this.#path(key);
    const dir = path.slice(0, path.lastIndexOf("/"));
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (err) {
      throw this.#diskFull(err, key, 0) ?? new ReelrankError(
        "CONFLICT",
        `cannot create folder for object key "${key}": ${(err as Error).message}`,
        {
          cause: err,
          permanent: true,
        },
      );
    }
    const tmp = `${dir}/${TEMP_PREFIX}${crypto.randomUUID()}`;
    const hash = createHash("sha256");
    let size = 0;
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      for await (const chunk of toStream(body)) {
        hash.update(chunk);
        size += chunk.byteLength;
        let written = 0;
        while (written < chunk.byteLength) written += await file.write(chunk.subarray(written));
      }
      await file.syncData();
      file.close();
      await Deno.rename(tmp, path);
    } catch (err) {
      try {
        file.close();
      } catch { /* already closed */ }
      await Deno.remove(tmp).catch((rmErr) => {
        if (!(rmErr instanceof Deno.errors.NotFound)) {
          log.warn("could not remove a temp file after a failed write", {
            path: tmp,
            error: rmErr,
          });
        }
      });
      // The temp file is gone (above): nothing of this object is visible, the old one is intact.
      const full = this.#diskFull(err, key, size);
      if (full) throw full;
      if (err instanceof Deno.errors.IsADirectory || err instanceof Deno.errors.NotADirectory) {
        throw new ReelrankError(
          "CONFLICT",
          `object key "${key}" clashes with a folder of other keys`,
          {
            cause: err,
            permanent: true,
          },
        );
      }
      throw err;
    }
    return { key, size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await Deno.readFile(this.#path(key));
    } catch (err) {
      throw this.#mapMissing(err, key);
    }
  }

  async getStream(key: string): Promise<ReadableStream<Uint8Array>> {
    try {
      const file = await Deno.open(this.#path(key), { read: true });
      return file.readable;
    } catch (err) {
      throw this.#mapMissing(err, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await Deno.stat(this.#path(key));
      if (!st.isFile) return null;
      return { key, size: st.size, lastModified: st.mtime ?? new Date(0) };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return null;
      }
      throw err;
    }
  }

  /** Walks only the folder the prefix points into, skipping temp files of writes in progress. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    validatePrefix(prefix);
    const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const out: ObjectInfo[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(rel ? `${this.#root}/${rel}` : this.#root));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith(TEMP_PREFIX)) continue;
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) {
          if (
            prefix.startsWith(key + "/") || key.startsWith(prefix) || (key + "/").startsWith(prefix)
          ) await walk(key);
        } else if (e.isFile && key.startsWith(prefix)) {
          const st = await Deno.stat(`${this.#root}/${key}`).catch(() => null);
          if (st) out.push({ key, size: st.size, lastModified: st.mtime ?? new Date(0) });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Removes the file, then any folders the removal left empty (up to the root). */
  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await Deno.remove(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
      throw err;
    }
    let dir = path.slice(0, path.lastIndexOf("/"));
    while (dir.length > this.#root.length) {
      try {
        await Deno.remove(dir); // fails when not empty, which is where we stop
      } catch {
        break;
      }
      dir = dir.slice(0, dir.lastIndexOf("/"));
    }
  }

  /** Nothing to release: every operation opens and closes its own files. */
  close(): void {}

  /** A full disk (or quota) as an UNAVAILABLE error that says so, or null for other errors. */
  #diskFull(err: unknown, key: string, bytes: number): ReelrankError | null {
    const code = (err as { code?: string })?.code;
    if (code !== "ENOSPC" && code !== "EDQUOT") return null;
    return new ReelrankError(
      "UNAVAILABLE",
      `no space left on the disk of ${this.url} writing object "${key}" (after ${bytes} bytes); ` +
        "free some space and run again",
      { cause: err },
    );
  }

  #mapMissing(err: unknown, key: string): unknown {
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
      err instanceof Deno.errors.IsADirectory
    ) {
      return notFound(`object "${key}" does not exist in ${this.url}`, { cause: err });
    }
    return err;
  }
}
