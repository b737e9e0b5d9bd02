/** The one place that picks the object store from its URL: `file:///path` or `s3://bucket/prefix`. */
import type { Config } from "../config.ts";
import { invalid } from "../errors.ts";
import { FsObjectStore } from "./fs.ts";
import type { ObjectStore } from "./object_store.ts";
import { S3ObjectStore } from "./s3.ts";

/**
 * Opens the object store named by `config.objectStoreUrl`: a folder for `file:///abs/path`, an S3
 * bucket (with `config.s3` endpoint, region, credentials, path style) for `s3://bucket/prefix`.
 *
 * ```ts
 * const store = openObjectStore(loadConfig());
 * const { sha256 } = await store.put("models/v1/model.bin", bytes);
 * ```
 */
export function openObjectStore(config: Pick<Config, "objectStoreUrl" | "s3">): ObjectStore {
  const url = config.objectStoreUrl;
  if (url.startsWith("file://")) {
    let path: string;
    try {
      path = decodeURIComponent(new URL(url).pathname);
    } catch (cause) {
      throw invalid(
        `OBJECT_STORE_URL "${url}" is not a valid file URL; expected file:///absolute/path`,
        { cause },
      );
    }
    if (new URL(url).host !== "") {
      throw invalid(
        `OBJECT_STORE_URL "${url}" names a host; expected file:///absolute/path (three slashes)`,
      );
    }
    return new FsObjectStore(path);
  }
  if (url.startsWith("s3://")) return new S3ObjectStore(url, config.s3);
  throw invalid(`OBJECT_STORE_URL must be file:///path or s3://bucket/prefix, got "${url}"`);
}
