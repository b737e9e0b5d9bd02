/**
 * promote: the gate — the new version becomes production only if it beats production on
 * validation NDCG@10 — or, with `canary-percent` above 0, staging for a canary judged online.
 */
import type { Context } from "../../src/context.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { stageForCanary } from "../../src/online/stage.ts";
import { promoteVersion } from "../../src/registry/register_run.ts";
import { type PromoteResult, type RegisterResult, resultOf } from "./results.ts";

/** The promote task: the gate decides once per version; a re-run returns that decision. */
export const promoteTask: TaskSpec<Context> = {
  id: "promote",
  description: "apply the promotion gate: production only if validation NDCG@10 improves " +
    "(or, with canary-percent, stage the version for a canary)",
  upstream: ["register"],
  retries: 3,
  retryDelayMs: 5_000,
  timeoutMs: 10 * 60_000,
  async run(ctx, upstream): Promise<PromoteResult> {
    const { version } = resultOf<RegisterResult>(upstream, "register");
    const percent = (ctx.params["canary-percent"] as number | undefined) ?? 0;
    if (percent > 0) {
      const staged = await stageForCanary(ctx.deps, version, percent / 100);
      ctx.log.info(staged.reason, { staged: staged.staged });
      if (staged.staged) return { version, promoted: false, reason: staged.reason };
    }
    const decision = await promoteVersion(ctx.deps, version, { mode: "gate" });
    ctx.log.info(decision.reason, { promoted: decision.promoted });
    return { version, promoted: decision.promoted, reason: decision.reason };
  },
};
