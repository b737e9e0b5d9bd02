/** Loads a registered model version into the kernel, verified by sha256, ready to rank movies. */
import type { Context } from "../context.ts";
import { MODEL_NAME, type ModelVersion } from "../registry/store.ts";
import { loadAliased } from "../registry/artifacts.ts";
import { loadModelInto, type RecommenderModel } from "../model/mod.ts";

/** A loaded model and the registry version it came from. */
export interface LoadedModel {
  version: ModelVersion;
  model: RecommenderModel;
}

/**
 * Loads `version`, or the production version when none is given. An altered artifact throws
 * CORRUPT before anything replaces the model already in service; no production version throws
 * NOT_FOUND with what to do.
 */
export async function loadModel(
  ctx: Pick<Context, "registry" | "kernel">,
  options: { version?: number } = {},
): Promise<LoadedModel> {
  const { version, bytes } = options.version === undefined
    ? await loadAliased(ctx.registry, MODEL_NAME)
    : await ctx.registry.loadArtifact(MODEL_NAME, options.version);
  const model = await loadModelInto(await ctx.kernel(), bytes);
  return { version, model };
}
