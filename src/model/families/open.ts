/** Opens a checkpoint of any family as a {@link RecommenderModel}: the magic and manifest say which. */
import { corrupt } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { RecommenderModel } from "../model.ts";
import { Recommender } from "../recommender.ts";
import { checkpointFamily, type ItemManifest, readItemCheckpoint } from "./checkpoint.ts";
import { EaseModel } from "./ease.ts";
import { KnnModel } from "./itemknn.ts";

/** Options of {@link openModel}. */
export interface OpenOptions {
  threads?: number;
  /** The MLP's inference batch (default 256). */
  batchSize?: number;
  /** The kernel already compiled (a browser compiles it itself). */
  module?: WebAssembly.Module;
}

/**
 * Loads checkpoint bytes (sha256 verified) into a kernel of the model's own, freed by close():
 * what a server does for every version it serves.
 */
export async function openModel(
  bytes: Uint8Array,
  options: OpenOptions = {},
): Promise<RecommenderModel> {
  if (checkpointFamily(bytes) === "mlp") return await Recommender.open(bytes, options);
  const { manifest, tensors } = await readItemCheckpoint(bytes);
  const n = manifest.itemIds.length;
  const base = { itemIds: manifest.itemIds, info: manifest.info };
  if (manifest.family === "ease") {
    const b = tensors.get("B");
    if (!b || b.dtype === "i32" || b.data.length !== n * n) {
      throw corrupt(`EASE checkpoint needs a float tensor B of ${n * n} values for ${n} items`);
    }
    return await EaseModel.create(b.data, { ...base, params: params(manifest, "lambda") }, options);
  }
  const offsets = tensors.get("offsets"), cols = tensors.get("cols"), vals = tensors.get("vals");
  if (
    offsets?.dtype !== "i32" || cols?.dtype !== "i32" || !vals || vals.dtype === "i32" ||
    !validCsr(offsets.data, cols.data, n) || vals.data.length !== cols.data.length
  ) {
    throw corrupt(`ItemKNN checkpoint needs CSR weights (offsets, cols, vals) over ${n} items`);
  }
  return await KnnModel.create(
    { offsets: offsets.data, cols: cols.data, vals: vals.data },
    { ...base, params: params(manifest, "k") },
    options,
  );
}

/**
 * Loads checkpoint bytes for use beside `kernel`: the MLP into that kernel (as
 * `Recommender.load`), an item-to-item model into its own (its weights are too large to share).
 */
export async function loadModelInto(
  kernel: Kernel,
  bytes: Uint8Array,
  options: OpenOptions = {},
): Promise<RecommenderModel> {
  if (checkpointFamily(bytes) === "mlp") return await Recommender.load(kernel, bytes, options);
  return await openModel(bytes, { ...options, threads: options.threads ?? 1 });
}

function params<K extends string>(m: ItemManifest, key: K): Record<K, number> {
  const v = m.params?.[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw corrupt(`${m.family} checkpoint has no numeric ${key} in its manifest`);
  }
  return { [key]: v } as Record<K, number>;
}

function validCsr(offsets: Int32Array, cols: Int32Array, n: number): boolean {
  if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== cols.length) return false;
  for (let i = 0; i < n; i++) if (offsets[i + 1] < offsets[i]) return false;
  for (let i = 0; i < n; i++) {
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      if (!(cols[e] >= 0 && cols[e] < n) || (e > offsets[i] && cols[e] <= cols[e - 1])) {
        return false;
      }
    }
  }
  return true;
}
