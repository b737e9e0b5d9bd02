/**
 * Network checkpoints: a binary header (magic, version, dims), the tensors (float32, or the row
 * tables in float16 or 8-bit with one float32 scale per row), a JSON manifest and a sha256 trailer.
 * No pickle-like formats: every byte is described by the header and the manifest. Version 3 adds
 * extra tensors beside the network's (`x:` names, int32 or float): a file without any is still
 * written as version 2, so older readers keep reading it; both versions are read.
 */
import { corrupt, internal } from "../../errors.ts";
import { sha256, sha256Hex, toHex } from "../../digest.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { inputWidth, type NetConfig, resolveConfig } from "./config.ts";
import { Net } from "./net.ts";

/** File magic: 8 bytes. */
export const CHECKPOINT_MAGIC = "RRNETCK\0";
/** Current format version (what a file with extra tensors is written as). */
export const CHECKPOINT_VERSION = 3;
/** Every version this reader reads (2: the network's tensors only). */
export const CHECKPOINT_VERSIONS: readonly number[] = [2, 3];

/** Storage of the row tables (`p:E`, `p:O`); every other tensor is float32. */
export type TableDtype = "f32" | "f16" | "i8";

/** A tensor stored beside the network's (version 3): int32 indices or float values. */
export type ExtraTensor = Int32Array | Float32Array;

const HASH = 32;

/** The decoded contents of a checkpoint. */
export interface Checkpoint {
  config: NetConfig;
  /** Caller-provided metadata (vocabulary, feature spec, run id, …). */
  metadata: Record<string, unknown>;
  steps: number;
  tensors: Map<string, Float32Array>;
  /** Extra tensors (`x:` names, version 3 only), int32 ones as Int32Array. */
  extra: Map<string, ExtraTensor>;
  /** Hex sha256 of the whole file minus its 32-byte trailer (the trailer itself). */
  sha256: string;
}

interface TensorEntry {
  name: string;
  length: number;
  dtype: TableDtype | "i32";
  /** i8: rows sharing one scale each (length / rows values per row). */
  rows?: number;
}

const TABLES = new Set(["p:E", "p:O"]);

// Bytes a tensor takes in the file, padded to 4 so every tensor starts aligned.
function storedBytes(t: TensorEntry): number {
  const pad = (n: number) => Math.ceil(n / 4) * 4;
  if (t.dtype === "f32" || t.dtype === "i32") return 4 * t.length;
  if (t.dtype === "f16") return pad(2 * t.length);
  return 4 * (t.rows ?? 1) + pad(t.length);
}

function encode(t: TensorEntry, data: ExtraTensor, out: Uint8Array): void {
  if (t.dtype === "i32") new Int32Array(out.buffer, out.byteOffset, t.length).set(data);
  else if (t.dtype === "f32") new Float32Array(out.buffer, out.byteOffset, t.length).set(data);
  else if (t.dtype === "f16") new Float16Array(out.buffer, out.byteOffset, t.length).set(data);
  else {
    // Symmetric per-row 8-bit: q = round(x / s), s = max|x| / 127 over the row.
    const rows = t.rows!;
    const width = t.length / rows;
    const scales = new Float32Array(out.buffer, out.byteOffset, rows);
    const q = new Int8Array(out.buffer, out.byteOffset + 4 * rows, t.length);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let i = r * width; i < (r + 1) * width; i++) max = Math.max(max, Math.abs(data[i]));
      const s = max / 127 || 1;
      scales[r] = s;
      for (let i = r * width; i < (r + 1) * width; i++) q[i] = Math.round(data[i] / s);
    }
  }
}

function decode(t: TensorEntry, bytes: Uint8Array): ExtraTensor {
  const copy = bytes.slice(); // aligned, owned
  if (t.dtype === "i32") return new Int32Array(copy.buffer, 0, t.length);
  if (t.dtype === "f32") return new Float32Array(copy.buffer, 0, t.length);
  if (t.dtype === "f16") return Float32Array.from(new Float16Array(copy.buffer, 0, t.length));
  const rows = t.rows!;
  const width = t.length / rows;
  const scales = new Float32Array(copy.buffer, 0, rows);
  const q = new Int8Array(copy.buffer, 4 * rows, t.length);
  const out = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = q[i] * scales[Math.floor(i / width)];
  return out;
}

/**
 * Serialises `net`'s parameters and BatchNorm statistics with `metadata` (JSON-serialisable) and
 * any `extra` tensors (names starting `x:`; float ones stored like the tables, int32 exactly).
 */
export async function saveCheckpoint(
  net: Net,
  options: {
    metadata?: Record<string, unknown>;
    tables?: TableDtype;
    extra?: Map<string, ExtraTensor>;
  } = {},
): Promise<Uint8Array> {
  const c = net.config;
  const tables = options.tables ?? "f16";
  const entries: TensorEntry[] = net.stateNames().map((name) => {
    const length = net.arena.length(name);
    if (!TABLES.has(name) || tables === "f32") return { name, length, dtype: "f32" };
    return tables === "f16"
      ? { name, length, dtype: "f16" }
      : { name, length, dtype: "i8", rows: c.output };
  });
  const data = new Map<string, ExtraTensor>(entries.map((t) => [t.name, net.view(t.name)]));
  for (const [name, values] of options.extra ?? []) {
    if (!name.startsWith("x:") || data.has(name)) {
      throw internal(`extra checkpoint tensor names start with "x:" and are unique, got ${name}`);
    }
    const dtype = values instanceof Int32Array ? "i32" : tables === "f32" ? "f32" : "f16";
    entries.push({ name, length: values.length, dtype });
    data.set(name, values);
  }
  const version = options.extra?.size ? CHECKPOINT_VERSION : 2;
  const { parallelMin: _p, training: _t, ...config } = c;
  const manifest = new TextEncoder().encode(JSON.stringify({
    format: "reelrank-net",
    config,
    steps: net.steps,
    tensors: entries,
    metadata: options.metadata ?? {},
  }));
  const dims = headerDims(c);
  const header = 8 + 4 * 5 + 4 * dims.length;
  const payload = entries.reduce((n, t) => n + storedBytes(t), 0);
  const bytes = new Uint8Array(header + payload + manifest.length + HASH);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(CHECKPOINT_MAGIC));
  [version, dims.length, entries.length, payload, manifest.length].forEach((v, i) =>
    view.setUint32(8 + 4 * i, v, true)
  );
  dims.forEach((d, i) => view.setUint32(28 + 4 * i, d, true));
  let at = header;
  for (const t of entries) {
    encode(t, data.get(t.name)!, bytes.subarray(at, at + storedBytes(t)));
    at += storedBytes(t);
  }
  bytes.set(manifest, at);
  const body = bytes.subarray(0, bytes.length - HASH);
  bytes.set(await sha256(body), bytes.length - HASH);
  return bytes;
}

// [input width, ...hidden, projection, output]: the shape, readable without the manifest.
function headerDims(c: NetConfig): number[] {
  // The shape does not depend on training, and a grouped network only resolves inference-only.
  const r = resolveConfig({ ...c, training: false });
  return [inputWidth(r), ...r.hidden, r.projection, r.output];
}

/** Decodes and verifies a checkpoint; any size, magic, version or hash problem is CORRUPT. */
export async function readCheckpoint(bytes: Uint8Array): Promise<Checkpoint> {
  if (bytes.length < 28 + HASH) {
    throw corrupt(`checkpoint truncated: ${bytes.length} bytes, smaller than any valid file`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) {
    throw corrupt(`not a reelrank checkpoint: magic ${JSON.stringify(magic)}, expected "RRNETCK"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, nd, count, payload, manifestBytes] = [0, 1, 2, 3, 4].map((i) =>
    view.getUint32(8 + 4 * i, true)
  );
  if (!CHECKPOINT_VERSIONS.includes(version)) {
    throw corrupt(
      `checkpoint format version ${version} is not supported, expected one of ${
        CHECKPOINT_VERSIONS.join(", ")
      }`,
    );
  }
  const header = 28 + 4 * nd;
  const expected = header + payload + manifestBytes + HASH;
  if (nd > 64 || bytes.length !== expected) {
    throw corrupt(
      `checkpoint size is ${bytes.length} bytes, its header implies ${expected}: truncated or padded`,
    );
  }
  const sha256 = await sha256Hex(bytes.subarray(0, bytes.length - HASH));
  const stored = toHex(bytes.subarray(bytes.length - HASH));
  if (sha256 !== stored) {
    throw corrupt(
      `checkpoint sha256 mismatch: content hashes to ${sha256}, trailer says ${stored}`,
    );
  }
  let manifest: {
    config: NetConfig;
    steps: number;
    tensors: TensorEntry[];
    metadata: Record<string, unknown>;
  };
  try {
    const text = new TextDecoder().decode(bytes.subarray(header + payload, expected - HASH));
    manifest = JSON.parse(text);
  } catch (cause) {
    throw corrupt(`checkpoint manifest is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(28 + 4 * i, true));
  if (headerDims(manifest.config).join(",") !== dims.join(",")) {
    throw corrupt(`checkpoint manifest shape differs from its header dims ${dims}`);
  }
  if (manifest.tensors.length !== count) {
    throw corrupt(`checkpoint lists ${manifest.tensors.length} tensors, its header says ${count}`);
  }
  const tensors = new Map<string, Float32Array>();
  const extra = new Map<string, ExtraTensor>();
  let at = header;
  for (const t of manifest.tensors) {
    const n = storedBytes(t);
    if (at + n > header + payload) throw corrupt(`checkpoint tensor ${t.name} runs past the data`);
    const isExtra = t.name.startsWith("x:");
    if (isExtra && version < 3) {
      throw corrupt(`checkpoint version ${version} cannot hold extra tensor ${t.name}`);
    }
    if (!isExtra && t.dtype === "i32") throw corrupt(`network tensor ${t.name} cannot be int32`);
    const values = decode(t, bytes.subarray(at, at + n));
    if (isExtra) extra.set(t.name, values);
    else tensors.set(t.name, values as Float32Array);
    at += n;
  }
  if (at !== header + payload) {
    throw corrupt(`checkpoint tensors take ${at - header} bytes, the header says ${payload}`);
  }
  return {
    config: manifest.config,
    metadata: manifest.metadata ?? {},
    steps: manifest.steps ?? 0,
    tensors,
    extra,
    sha256: stored,
  };
}

/**
 * Rebuilds the network in `kernel` from checkpoint bytes. `overrides` may change what does not
 * affect parameters, e.g. `{ batchSize: 64, training: false }` for a lean serving copy.
 */
export async function loadCheckpoint(
  kernel: Kernel,
  bytes: Uint8Array,
  overrides: Pick<
    Partial<NetConfig>,
    "batchSize" | "maxNnz" | "maxCandidates" | "parallelMin" | "training"
  > = {},
): Promise<
  { net: Net; metadata: Record<string, unknown>; extra: Map<string, ExtraTensor>; sha256: string }
> {
  const ck = await readCheckpoint(bytes);
  // The manifest leaves `training` out: networks load trainable, except a grouped (folded) one.
  const training = (ck.config.groups ?? 1) === 1;
  const net = Net.create(kernel, { ...ck.config, training, ...overrides });
  for (const name of net.stateNames()) {
    const t = ck.tensors.get(name);
    const want = net.arena.length(name);
    if (!t || t.length !== want) {
      throw corrupt(
        `checkpoint tensor ${name} has ${t?.length ?? "no"} values, the network needs ${want}`,
      );
    }
    net.view(name).set(t);
  }
  net.steps = ck.steps;
  return { net, metadata: ck.metadata, extra: ck.extra, sha256: ck.sha256 };
}
