/**
 * Interactions frozen as one binary object (the features task's output): a 16-byte header —
 * magic "RRIX", format 1, row count — then users (int32), movies (int32) and timestamps
 * (float64 seconds), little-endian. The split is computed from it, so training and evaluation
 * see exactly the interactions the features task saw.
 */
import { corrupt } from "../errors.ts";
import type { Interactions } from "./split.ts";

const MAGIC = 0x58495252; // "RRIX" read as a little-endian uint32
const FORMAT = 1;
const HEADER = 16;

/** The interactions as bytes. */
export function encodeInteractions(data: Interactions): Uint8Array {
  const n = data.users.length;
  const bytes = new Uint8Array(HEADER + 16 * n);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT, true);
  view.setUint32(8, n, true);
  for (let i = 0; i < n; i++) {
    view.setInt32(HEADER + 4 * i, data.users[i], true);
    view.setInt32(HEADER + 4 * (n + i), data.items[i], true);
    view.setFloat64(HEADER + 8 * n + 8 * i, data.timestamps[i], true);
  }
  return bytes;
}

/** Reads bytes written by {@link encodeInteractions}; CORRUPT when they are not such a file. */
export function decodeInteractions(bytes: Uint8Array): Interactions {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || view.getUint32(0, true) !== MAGIC) {
    throw corrupt("not an interactions file (magic RRIX missing)");
  }
  if (view.getUint32(4, true) !== FORMAT) {
    throw corrupt(`interactions file format ${view.getUint32(4, true)}; this code reads ${FORMAT}`);
  }
  const n = view.getUint32(8, true);
  if (bytes.length !== HEADER + 16 * n) {
    throw corrupt(
      `interactions file of ${n} rows must be ${HEADER + 16 * n} bytes, got ${bytes.length}`,
    );
  }
  const users = new Int32Array(n), items = new Int32Array(n), timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    users[i] = view.getInt32(HEADER + 4 * i, true);
    items[i] = view.getInt32(HEADER + 4 * (n + i), true);
    timestamps[i] = view.getFloat64(HEADER + 8 * n + 8 * i, true);
  }
  return { users, items, timestamps };
}
