/**
 * Item-to-item checkpoints (EASE, ItemKNN): magic, format version, tensor count and sizes, the
 * tensors (float32, float16 or int32, each padded to 4 bytes), a JSON manifest naming the family
 * and the vocabulary, and a sha256 trailer. Network checkpoints (network/checkpoint.ts) have their
 * own magic; {@link checkpointFamily} tells them apart.
 */
import { corrupt } from "../../errors.ts";
import { sha256, sha256Hex, toHex } from "../../digest.ts";
import { CHECKPOINT_MAGIC } from "../network/checkpoint.ts";
import type { Family } from "../model.ts";

/** File magic: 8 bytes. */
export const ITEM_MAGIC = "RRITEMS\0";
/** Current format version. */
export const ITEM_VERSION = 1;

/** How a tensor is stored. */
export type ItemDtype = "f32" | "f16" | "i32";

/** One tensor: float data is decoded to float32, int32 stays int32. */
export type ItemTensor =
  | { name: string; dtype: "f32" | "f16"; data: Float32Array }
  | { name: string; dtype: "i32"; data: Int32Array };

/** What the manifest says about the model. */
export interface ItemManifest {
  format: "reelrank-item-item";
  family: "ease" | "itemknn";
  /** Movie ids by dense index, ascending. */
  itemIds: number[];
  /** The family's hyperparameters (λ, k). */
  params: Record<string, number>;
  /** Lineage: run id, snapshot id. */
  info: Record<string, unknown>;
}

const HEADER = 24;
const HASH = 32;

const width = (t: { dtype: ItemDtype }) => (t.dtype === "f16" ? 2 : 4);
const padded = (n: number) => Math.ceil(n / 4) * 4;

/** Serialises tensors and manifest; the trailer is the sha256 of everything before it. */
export async function saveItemCheckpoint(
  manifest: ItemManifest,
  tensors: readonly ItemTensor[],
): Promise<Uint8Array> {
  const entries = tensors.map((t) => ({ name: t.name, dtype: t.dtype, length: t.data.length }));
  const json = new TextEncoder().encode(JSON.stringify({ ...manifest, tensors: entries }));
  const payload = entries.reduce((n, t) => n + padded(width(t) * t.length), 0);
  const bytes = new Uint8Array(HEADER + payload + json.length + HASH);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(ITEM_MAGIC));
  [ITEM_VERSION, entries.length, payload, json.length].forEach((v, i) =>
    view.setUint32(8 + 4 * i, v, true)
  );
  let at = HEADER;
  for (const t of tensors) {
    if (t.dtype === "f16") new Float16Array(bytes.buffer, at, t.data.length).set(t.data);
    else if (t.dtype === "f32") new Float32Array(bytes.buffer, at, t.data.length).set(t.data);
    else new Int32Array(bytes.buffer, at, t.data.length).set(t.data);
    at += padded(width(t) * t.data.length);
  }
  bytes.set(json, at);
  bytes.set(await sha256(bytes.subarray(0, bytes.length - HASH)), bytes.length - HASH);
  return bytes;
}

/** Decodes and verifies; any magic, version, size, hash or manifest problem is CORRUPT. */
export async function readItemCheckpoint(
  bytes: Uint8Array,
): Promise<{ manifest: ItemManifest; tensors: Map<string, ItemTensor> }> {
  if (bytes.length < HEADER + HASH || magicOf(bytes) !== ITEM_MAGIC) {
    throw corrupt(
      `not a reelrank item-to-item checkpoint: magic ${JSON.stringify(magicOf(bytes))}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, count, payload, jsonBytes] = [0, 1, 2, 3].map((i) =>
    view.getUint32(8 + 4 * i, true)
  );
  if (version !== ITEM_VERSION) {
    throw corrupt(
      `item checkpoint format version ${version} is not supported, expected ${ITEM_VERSION}`,
    );
  }
  const expected = HEADER + payload + jsonBytes + HASH;
  if (bytes.length !== expected) {
    throw corrupt(`checkpoint size is ${bytes.length} bytes, its header implies ${expected}`);
  }
  const digest = await sha256Hex(bytes.subarray(0, bytes.length - HASH));
  const stored = toHex(bytes.subarray(bytes.length - HASH));
  if (digest !== stored) {
    throw corrupt(
      `checkpoint sha256 mismatch: content hashes to ${digest}, trailer says ${stored}`,
    );
  }
  let parsed: ItemManifest & { tensors: { name: string; dtype: ItemDtype; length: number }[] };
  try {
    parsed = JSON.parse(
      new TextDecoder().decode(bytes.subarray(HEADER + payload, expected - HASH)),
    );
  } catch (cause) {
    throw corrupt(`checkpoint manifest is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const { tensors: entries, ...manifest } = parsed;
  if (
    manifest.format !== "reelrank-item-item" || !Array.isArray(manifest.itemIds) ||
    !Array.isArray(entries) || entries.length !== count
  ) {
    throw corrupt(`item checkpoint manifest is malformed (format ${String(manifest.format)})`);
  }
  const tensors = new Map<string, ItemTensor>();
  let at = HEADER;
  for (const e of entries) {
    const n = padded(width(e) * e.length);
    if (at + n > HEADER + payload) throw corrupt(`checkpoint tensor ${e.name} runs past the data`);
    const copy = bytes.slice(at, at + width(e) * e.length);
    tensors.set(
      e.name,
      e.dtype === "i32"
        ? { name: e.name, dtype: "i32", data: new Int32Array(copy.buffer, 0, e.length) }
        : {
          name: e.name,
          dtype: e.dtype,
          data: e.dtype === "f32"
            ? new Float32Array(copy.buffer, 0, e.length)
            : Float32Array.from(new Float16Array(copy.buffer, 0, e.length)),
        },
    );
    at += n;
  }
  if (at !== HEADER + payload) {
    throw corrupt(`checkpoint tensors take ${at - HEADER} bytes, the header says ${payload}`);
  }
  return { manifest, tensors };
}

function magicOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 8));
}

/**
 * The family a checkpoint holds, from its magic (and manifest): network checkpoints are the MLP.
 * Throws CORRUPT for anything else.
 */
export function checkpointFamily(bytes: Uint8Array): Family {
  const magic = magicOf(bytes);
  if (magic === CHECKPOINT_MAGIC) return "mlp";
  if (magic === ITEM_MAGIC && bytes.length >= HEADER + HASH) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const payload = view.getUint32(16, true), json = view.getUint32(20, true);
    const text = new TextDecoder().decode(
      bytes.subarray(HEADER + payload, HEADER + payload + json),
    );
    const family = /"family":"(ease|itemknn)"/.exec(text)?.[1];
    if (family) return family as Family;
  }
  throw corrupt(
    `not a reelrank checkpoint: magic ${JSON.stringify(magic)}, expected "RRNETCK" or "RRITEMS"`,
  );
}
