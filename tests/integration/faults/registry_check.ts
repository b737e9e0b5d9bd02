/** The registry's invariants after a fault: every version's artifact is there and intact, every alias names such a version. */
import assert from "node:assert/strict";
import type { Database } from "../../../src/db/types.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import type { ObjectStore } from "../../../src/storage/object_store.ts";

/** What the registry holds, for comparing before and after a fault. */
export interface RegistryState {
  lastVersion: number;
  versions: { version: number; runId: string | null }[];
  aliases: Record<string, number>;
}

/**
 * Asserts the invariants and returns the state: `last_version` equals the newest version, every
 * version's artifact loads with its recorded size and sha256, every alias points at a version.
 */
export async function checkRegistry(db: Database, objects: ObjectStore): Promise<RegistryState> {
  const registry = new SqlModelRegistry(db, { objects });
  const models = await registry.listModels();
  if (models.length === 0) return { lastVersion: 0, versions: [], aliases: {} };
  assert.equal(models.length, 1);
  const [model] = models;
  const versions = await registry.listVersions(model.name);
  assert.equal(
    model.latestVersion,
    versions[0]?.version ?? 0,
    "last_version names a version that exists (no number allocated by a killed registration)",
  );
  for (const v of versions) {
    // Throws CORRUPT or NOT_FOUND if a version points at a missing or different artifact.
    await registry.loadArtifact(model.name, v.version);
  }
  for (const [alias, version] of Object.entries(model.aliases)) {
    assert.ok(versions.some((v) => v.version === version), `${alias} points at missing ${version}`);
  }
  return {
    lastVersion: model.latestVersion,
    versions: versions.map((v) => ({ version: v.version, runId: v.runId })).reverse(),
    aliases: model.aliases,
  };
}
