/** publish: batch recommendations of the production model for every user; servers follow the alias. */
import type { Context } from "../../src/context.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { publishBatch } from "../../src/serving/publish.ts";
import type { PublishResult } from "./results.ts";

/** The publish task: a version's batch replaces its own rows, so a re-run writes the same rows. */
export const publishTask: TaskSpec<Context> = {
  id: "publish",
  description: "write batch recommendations of the production model for every user",
  upstream: ["promote"],
  retries: 2,
  timeoutMs: 60 * 60_000,
  async run(ctx): Promise<PublishResult> {
    const batch = await publishBatch(ctx.deps, { k: ctx.params.k as number });
    ctx.log.info(
      `version ${batch.version}: top ${batch.k} for ${batch.users} users (${batch.rows} rows); servers switch to production through the alias`,
    );
    return { version: batch.version, users: batch.users, rows: batch.rows };
  },
};
