/** The pipeline's canary mode: with canary-percent the promote task stages the new version with that share instead of promoting it. */
import assert from "node:assert/strict";
import type { Context } from "../../../src/context.ts";
import { getLogger } from "../../../src/log.ts";
import { trainAndRegister } from "../../../src/model/mod.ts";
import { getCanary } from "../../../src/online/canary.ts";
import type { TaskContext } from "../../../src/pipeline/dag.ts";
import { resolveParams } from "../../../src/pipeline/params.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { RECOMMEND_PARAMS } from "../../../pipelines/recommend_params.ts";
import { promoteTask } from "../../../pipelines/tasks/promote.ts";
import type { PromoteResult } from "../../../pipelines/tasks/results.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";

function taskContext(ctx: Context, params: Record<string, unknown>): TaskContext<Context> {
  return {
    runId: "run-1",
    dag: "recommend",
    key: "recommend-20260101T030000Z",
    logicalDate: new Date("2026-01-01T03:00:00Z"),
    params: resolveParams(RECOMMEND_PARAMS, params),
    attempt: 1,
    signal: new AbortController().signal,
    log: getLogger("test/promote"),
    deps: ctx,
  };
}

dbTest(
  "with canary-percent the promote task puts the version in staging with that share; a re-run changes nothing",
  async (db) => {
    await withFixture(db, async ({ ctx, clock }) => {
      assert.equal(resolveParams(RECOMMEND_PARAMS, {})["canary-percent"], 0);
      assert.throws(
        () => resolveParams(RECOMMEND_PARAMS, { "canary-percent": "150" }),
        /canary-percent/,
      );
      const result = (await promoteTask.run(taskContext(ctx, { "canary-percent": "10" }), {
        register: { version: 2, sha256: "x" },
      })) as unknown as PromoteResult;
      assert.deepEqual([result.version, result.promoted], [2, false]);
      assert.match(result.reason, /staging, served to 10 % of users/);
      assert.equal((await ctx.registry.getAlias(MODEL_NAME, "production"))?.version, 1);
      assert.equal((await ctx.registry.getAlias(MODEL_NAME, "staging"))?.version, 2);
      const first = await getCanary(db, MODEL_NAME);
      assert.ok(Math.abs(first.share - 0.1) < 1e-6);
      assert.equal(first.startedAt?.getTime(), clock.now().getTime());
      clock.advance(60_000);
      await promoteTask.run(taskContext(ctx, { "canary-percent": "10" }), {
        register: { version: 2, sha256: "x" },
      });
      const again = await getCanary(db, MODEL_NAME);
      assert.equal(again.startedAt?.getTime(), first.startedAt?.getTime(), "same window");
      assert.equal(
        (await ctx.registry.aliasHistory(MODEL_NAME, { alias: "staging" })).length,
        1,
        "one alias move",
      );
    }, {
      prepare: async (ctx) => {
        await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 1, seed: 5 } });
        await ctx.registry.setAliases(MODEL_NAME, { production: 1 });
        await ctx.releaseKernel();
      },
    });
  },
);
