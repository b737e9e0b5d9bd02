/** The object store interface: artifacts and snapshots live here, on a folder or any S3 API. */

/** What a store knows of one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/** The result of a write. */
export interface PutResult {
  key: string;
  size: number;
  /** Hex sha256 of exactly the bytes written. */
  sha256: string;
}

/**
 * A flat key → bytes store. Keys are `/`-separated relative paths (no leading `/`, no `..`).
 * Writes are atomic: a reader sees the old object or the new one, never half of one.
 */
export interface ObjectStore {
  /** Where it stores, e.g. `file:///srv/reelrank/objects` or `s3://bucket/prefix`. */
  readonly url: string;
  /** Writes `body` under `key`, replacing any previous object, and returns its size and sha256. */
  put(
    key: string,
    body: Uint8Array | ReadableStream<Uint8Array>,
    opts?: { contentType?: string },
  ): Promise<PutResult>;
  /** Reads a whole object. Throws a NOT_FOUND `ReelrankError` when the key does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Streams an object. Throws NOT_FOUND when the key does not exist. */
  getStream(key: string): Promise<ReadableStream<Uint8Array>>;
  /** Size and date of an object, or `null` when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (an S3 client's sockets); the store must not be used afterwards. */
  close(): void;
}
