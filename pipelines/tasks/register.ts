/** register: the evaluated checkpoint becomes a model version (sha256, lineage to run and snapshot). */
import type { Context } from "../../src/context.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { registerRun } from "../../src/registry/register_run.ts";
import { type RegisterResult, resultOf, type TrainResult } from "./results.ts";

/** The register task: the registry returns the existing version for the same run and checkpoint. */
export const registerTask: TaskSpec<Context> = {
  id: "register",
  description: "register a model version: artifact sha256, metrics, lineage to run and snapshot",
  // evaluate first: a version carries its evaluation metrics.
  upstream: ["train", "evaluate"],
  retries: 3,
  retryDelayMs: 5_000,
  timeoutMs: 10 * 60_000,
  async run(ctx, upstream): Promise<RegisterResult> {
    const t = resultOf<TrainResult>(upstream, "train");
    const version = await registerRun(ctx.deps, { runId: t.runId, checkpoint: t.checkpoint });
    ctx.log.info(
      `version ${version.version} from run ${t.runId} (sha256 ${
        version.sha256.slice(0, 12)
      }…, snapshot ${version.snapshotId})`,
    );
    return { version: version.version, sha256: version.sha256 };
  },
};
