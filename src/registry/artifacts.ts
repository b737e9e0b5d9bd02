/** Loading model artifacts safely: bytes are served only when their size and sha256 match the registry. */
import { corrupt, invalid, notFound } from "../errors.ts";
import { readVerified } from "../storage/verified.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { sha256Hex } from "../digest.ts";
import { type ArtifactSource, type ModelRegistry, type ModelVersion, PRODUCTION } from "./store.ts";

/**
 * Reads `version`'s artifact and checks it against the recorded size and sha256. Throws CORRUPT
 * naming both digests when the bytes changed, so the caller keeps serving the model it has.
 */
export async function verifyArtifact(
  objects: ObjectStore,
  version: Pick<ModelVersion, "model" | "version" | "artifactKey" | "sha256" | "size">,
): Promise<Uint8Array> {
  return await readVerified(
    objects,
    { key: version.artifactKey, sha256: version.sha256, size: version.size },
    {
      what:
        `artifact "${version.artifactKey}" of model "${version.model}" version ${version.version}`,
      refusal: "refusing to load it",
    },
  );
}

/**
 * Loads the version an alias (default `production`) points at, verified. Throws NOT_FOUND when the
 * alias is unset and CORRUPT when the artifact changed.
 */
export async function loadAliased(
  registry: ModelRegistry,
  model: string,
  opts: { alias?: string } = {},
): Promise<{ version: ModelVersion; bytes: Uint8Array }> {
  const alias = opts.alias ?? PRODUCTION;
  const v = await registry.getAlias(model, alias);
  if (!v) throw notFound(`model "${model}" has no ${alias} version; train and promote one first`);
  return registry.loadArtifact(model, v.version);
}

/**
 * Puts a new version's artifact in place and returns its key, sha256 and size. Bytes are written
 * content-addressed (`models/<model>/sha256-<hex>.bin`) before the registry transaction, so no
 * lock is held during an upload and a rolled-back registration leaves only an object a later
 * one reuses. An already stored object (e.g. a run artifact) is checked to exist with that size.
 */
export async function storeArtifact(
  objects: ObjectStore,
  model: string,
  source: ArtifactSource,
): Promise<{ key: string; sha256: string; size: number }> {
  if (source instanceof Uint8Array) {
    const put = await objects.put(`models/${model}/sha256-${await sha256Hex(source)}.bin`, source);
    return { key: put.key, sha256: put.sha256, size: put.size };
  }
  if (!/^[0-9a-f]{64}$/.test(source.sha256 ?? "")) {
    throw invalid(
      `artifact sha256 must be 64 lowercase hex digits, got ${JSON.stringify(source.sha256)}`,
    );
  }
  const info = await objects.head(source.key);
  if (!info) throw notFound(`artifact "${source.key}" is not in the object store`);
  if (info.size !== source.size) {
    throw corrupt(
      `artifact "${source.key}" has ${info.size} bytes in the object store, not the ${source.size} given`,
    );
  }
  return { key: source.key, sha256: source.sha256, size: source.size };
}
