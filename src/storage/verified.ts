/** Reading an object whose size and sha256 were recorded: the bytes are returned only when both match. */
import { corrupt } from "../errors.ts";
import { sha256Hex } from "../digest.ts";
import type { ObjectStore } from "./object_store.ts";

/** An object as it was recorded when written. */
export interface ObjectRef {
  key: string;
  /** Hex sha256 of the bytes. */
  sha256: string;
  size: number;
}

/**
 * Reads `ref.key` and checks it against the recorded size and sha256. Throws CORRUPT naming
 * `what`, both sizes and both digests (and what the caller does about it) when the bytes changed.
 */
export async function readVerified(
  objects: ObjectStore,
  ref: ObjectRef,
  options: { what: string; refusal?: string },
): Promise<Uint8Array> {
  const bytes = await objects.get(ref.key);
  const sha = await sha256Hex(bytes);
  if (bytes.length !== ref.size || sha !== ref.sha256) {
    throw corrupt(
      `${options.what} is altered: expected ${ref.size} bytes with sha256 ${ref.sha256}, got ${bytes.length} bytes with sha256 ${sha}${
        options.refusal ? `; ${options.refusal}` : ""
      }`,
    );
  }
  return bytes;
}
