/** publish: batch recommendations of the production model for every user, then the drift check; servers follow the alias. */
import type { Context } from "../../src/context.ts";
import { checkDrift } from "../../src/observability/drift/check.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { publishBatch } from "../../src/serving/publish.ts";
import type { PublishResult } from "./results.ts";

/**
 * The publish task: a version's batch replaces its own rows, so a re-run writes the same rows.
 * Then drift is checked (the new batch against the previous one; a report per pair of batches,
 * replaced when checked again). A failed check is logged, not the task's failure, and never starts
 * a retrain here: this run is the retrain.
 */
export const publishTask: TaskSpec<Context> = {
  id: "publish",
  description: "write batch recommendations of the production model for every user; check drift",
  upstream: ["promote"],
  retries: 2,
  timeoutMs: 60 * 60_000,
  async run(ctx): Promise<PublishResult> {
    const batch = await publishBatch(ctx.deps, { k: ctx.params.k as number });
    ctx.log.info(
      `version ${batch.version}: top ${batch.k} for ${batch.users} users (${batch.rows} rows); servers switch to production through the alias`,
    );
    try {
      const drift = await checkDrift(ctx.deps, {
        threshold: ctx.deps.config.drift.threshold,
        retrain: false,
      });
      for (const r of drift.reports) {
        ctx.log.info(`drift (${r.kind}): ${r.subject} against ${r.reference}`, r.scores);
      }
      for (const s of drift.skipped) ctx.log.info(`drift (${s.kind}) not checked: ${s.reason}`);
    } catch (err) {
      ctx.log.warn("the drift check failed; the batch is published", { error: err });
    }
    return { version: batch.version, users: batch.users, rows: batch.rows };
  },
};
