/** Model checkpoints: binary header (magic, version, dims) + raw float32 tensors + JSON manifest + sha256. */
import { corrupt } from "../errors.ts";
import type { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import type { MlpConfig } from "./mlp_config.ts";

/** File magic: 8 bytes. */
export const CHECKPOINT_MAGIC = "RRMLPCK\0";
/** Current format version. */
export const CHECKPOINT_VERSION = 1;

const FIXED = 8 + 4 * 4; // magic, version, flags, dim count, then dims, tensor count, floats, manifest bytes
const HASH = 32;

/** The decoded contents of a checkpoint. */
export interface Checkpoint {
  config: MlpConfig;
  /** Caller-provided metadata (vocabulary, normalisation, run id, …). */
  metadata: Record<string, unknown>;
  /** Adam steps taken when saved. */
  steps: number;
  tensors: Map<string, Float32Array>;
  /** Hex sha256 of the whole file minus its 32-byte trailer (the trailer itself). */
  sha256: string;
}

/** Hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Serialises `mlp`'s parameters and BatchNorm statistics with `metadata` (must be JSON-serialisable). */
export async function saveCheckpoint(
  mlp: Mlp,
  metadata: Record<string, unknown> = {},
): Promise<Uint8Array> {
  const names = mlp.stateNames();
  const lengths = names.map((n) => mlp.layout.slots.get(n)!.length);
  const floats = lengths.reduce((a, b) => a + b, 0);
  const c = mlp.config;
  const dims = [c.input, ...c.hidden, c.output];
  const { parallelMin: _p, training: _t, ...config } = c;
  const manifest = new TextEncoder().encode(JSON.stringify({
    format: "reelrank-mlp",
    config,
    steps: mlp.steps,
    tensors: names.map((name, i) => ({ name, length: lengths[i] })),
    metadata,
  }));
  const header = FIXED + 4 * dims.length + 12;
  const bytes = new Uint8Array(header + 4 * floats + manifest.length + HASH);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(CHECKPOINT_MAGIC));
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, (c.batchNorm ? 1 : 0) | (c.sparseInput ? 2 : 0), true);
  view.setUint32(16, dims.length, true);
  dims.forEach((d, i) => view.setUint32(20 + 4 * i, d, true));
  const after = 20 + 4 * dims.length;
  view.setUint32(after, names.length, true);
  view.setUint32(after + 4, floats, true);
  view.setUint32(after + 8, manifest.length, true);
  const data = new Float32Array(bytes.buffer, header, floats);
  let at = 0;
  for (const name of names) {
    const t = mlp.view(name);
    data.set(t, at);
    at += t.length;
  }
  bytes.set(manifest, header + 4 * floats);
  const body = bytes.subarray(0, bytes.length - HASH);
  bytes.set(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), bytes.length - HASH);
  return bytes;
}

/** Decodes and verifies a checkpoint; any size, magic, version or hash problem is a CORRUPT error. */
export async function readCheckpoint(bytes: Uint8Array): Promise<Checkpoint> {
  if (bytes.length < FIXED + HASH) {
    throw corrupt(`checkpoint truncated: ${bytes.length} bytes, smaller than any valid file`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) {
    throw corrupt(`not a reelrank checkpoint: magic ${JSON.stringify(magic)}, expected "RRMLPCK"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    throw corrupt(
      `checkpoint format version ${version} is not supported, expected ${CHECKPOINT_VERSION}`,
    );
  }
  const nd = view.getUint32(16, true);
  const header = FIXED + 4 * nd + 12;
  if (nd < 2 || nd > 64 || bytes.length < header + HASH) {
    throw corrupt(`checkpoint header is damaged or truncated (${nd} dims, ${bytes.length} bytes)`);
  }
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(20 + 4 * i, true));
  const after = 20 + 4 * nd;
  const floats = view.getUint32(after + 4, true);
  const manifestBytes = view.getUint32(after + 8, true);
  const expected = header + 4 * floats + manifestBytes + HASH;
  if (bytes.length !== expected) {
    throw corrupt(
      `checkpoint size is ${bytes.length} bytes, its header implies ${expected}: truncated or padded`,
    );
  }
  const sha256 = await sha256Hex(bytes.subarray(0, bytes.length - HASH));
  const stored = Array.from(
    bytes.subarray(bytes.length - HASH),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  if (sha256 !== stored) {
    throw corrupt(
      `checkpoint sha256 mismatch: content hashes to ${sha256}, trailer says ${stored}`,
    );
  }
  let manifest: {
    config: MlpConfig;
    steps: number;
    tensors: { name: string; length: number }[];
    metadata: Record<string, unknown>;
  };
  try {
    manifest = JSON.parse(
      new TextDecoder().decode(
        bytes.subarray(header + 4 * floats, header + 4 * floats + manifestBytes),
      ),
    );
  } catch (cause) {
    throw corrupt(`checkpoint manifest is not valid JSON: ${(cause as Error).message}`);
  }
  const c = manifest.config;
  const mdims = [c.input, ...c.hidden, c.output];
  if (mdims.join(",") !== dims.join(",")) {
    throw corrupt(`checkpoint manifest dims ${mdims} differ from header dims ${dims}`);
  }
  const data = new Float32Array(bytes.slice(header, header + 4 * floats).buffer);
  const tensors = new Map<string, Float32Array>();
  let at = 0;
  for (const t of manifest.tensors) {
    tensors.set(t.name, data.subarray(at, at + t.length));
    at += t.length;
  }
  if (at !== floats) throw corrupt(`checkpoint manifest lists ${at} floats, header says ${floats}`);
  return {
    config: c,
    metadata: manifest.metadata ?? {},
    steps: manifest.steps ?? 0,
    tensors,
    sha256: stored,
  };
}

/**
 * Rebuilds the model in `kernel` from checkpoint bytes. `overrides` may change what does not
 * affect parameters, e.g. `{ batchSize: 1, training: false }` for a lean serving copy.
 */
export async function loadCheckpoint(
  kernel: Kernel,
  bytes: Uint8Array,
  overrides: Pick<
    Partial<MlpConfig>,
    "batchSize" | "maxNnz" | "maxCandidates" | "parallelMin" | "training"
  > = {},
): Promise<{ mlp: Mlp; metadata: Record<string, unknown>; sha256: string }> {
  const ck = await readCheckpoint(bytes);
  const mlp = Mlp.create(kernel, { ...ck.config, ...overrides });
  for (const name of mlp.stateNames()) {
    const t = ck.tensors.get(name);
    const want = mlp.layout.slots.get(name)!.length;
    if (!t || t.length !== want) {
      throw corrupt(
        `checkpoint tensor ${name} has ${t?.length ?? "no"} values, the model needs ${want}`,
      );
    }
    mlp.view(name).set(t);
  }
  mlp.steps = ck.steps;
  return { mlp, metadata: ck.metadata, sha256: ck.sha256 };
}
