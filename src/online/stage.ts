/** The pipeline's canary mode: a new version goes to `staging` with a canary share instead of production. */
import type { Context } from "../context.ts";
import { MODEL_NAME, PRODUCTION } from "../registry/store.ts";
import { setCanary, STAGING } from "./canary.ts";

/** What staging did. */
export interface StageResult {
  staged: boolean;
  reason: string;
}

/**
 * Makes `version` staging and serves it to `share` of users (a new comparison window unless it
 * was staging already, so a re-run changes nothing). Without a production version there is
 * nothing to compare with: the caller falls back to the gate, and `staged` is false.
 */
export async function stageForCanary(
  ctx: Pick<Context, "db" | "registry" | "tracking" | "clock">,
  version: number,
  share: number,
): Promise<StageResult> {
  const [production, staging] = await Promise.all([
    ctx.registry.getAlias(MODEL_NAME, PRODUCTION),
    ctx.registry.getAlias(MODEL_NAME, STAGING),
  ]);
  if (!production) return { staged: false, reason: "no production version to compare with" };
  if (production.version === version) {
    return { staged: false, reason: `version ${version} is production already` };
  }
  const again = staging?.version === version;
  if (!again) {
    await ctx.registry.setAliases(MODEL_NAME, { [STAGING]: version }, {
      reason: `pipeline: canary at ${share * 100} %`,
    });
  }
  await setCanary(ctx.db, MODEL_NAME, { share, restart: !again, now: ctx.clock() });
  const v = await ctx.registry.getVersion(MODEL_NAME, version);
  if (v.runId) await ctx.tracking.setTags(v.runId, { promote_mode: "canary" });
  return {
    staged: true,
    reason: `version ${version} is staging, served to ${share * 100} % of users beside ` +
      `production version ${production.version}; the canary rule or an admin promotes it`,
  };
}
