/** promote: the gate — the new version becomes production only if it beats production on validation NDCG@10. */
import type { Context } from "../../src/context.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { promoteVersion } from "../../src/registry/register_run.ts";
import { type PromoteResult, type RegisterResult, resultOf } from "./results.ts";

/** The promote task: the gate decides once per version; a re-run returns that decision. */
export const promoteTask: TaskSpec<Context> = {
  id: "promote",
  description: "apply the promotion gate: production only if validation NDCG@10 improves",
  upstream: ["register"],
  retries: 3,
  retryDelayMs: 5_000,
  timeoutMs: 10 * 60_000,
  async run(ctx, upstream): Promise<PromoteResult> {
    const { version } = resultOf<RegisterResult>(upstream, "register");
    // A `promote-mode` run parameter (ctx.params) would choose the mode here.
    const decision = await promoteVersion(ctx.deps, version, { mode: "gate" });
    ctx.log.info(decision.reason, { promoted: decision.promoted });
    return { version, promoted: decision.promoted, reason: decision.reason };
  },
};
