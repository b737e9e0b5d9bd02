/** snapshot: the raw tables written to the object store as a content-addressed snapshot. */
import type { Context } from "../../src/context.ts";
import type { TaskSpec } from "../../src/pipeline/dag.ts";
import { createSnapshot } from "../../src/snapshot/create.ts";
import { type IngestResult, resultOf, type SnapshotResult } from "./results.ts";

/**
 * The snapshot task. Stamped with the run's logical date, so the same data snapshotted again for
 * the same date gets the same id (one row, parts already stored are not written again).
 */
export const snapshotTask: TaskSpec<Context> = {
  id: "snapshot",
  description: "write the raw tables to the object store as a versioned, content-hashed snapshot",
  upstream: ["ingest"],
  retries: 2,
  timeoutMs: 30 * 60_000,
  async run(ctx, upstream): Promise<SnapshotResult> {
    const ingest = resultOf<IngestResult>(upstream, "ingest");
    const snap = await createSnapshot(ctx.deps.db, ctx.deps.objects, {
      ingestRunId: ingest.ingestRunId,
      now: () => ctx.logicalDate,
      metrics: ctx.deps.metrics,
    });
    ctx.log.info(`snapshot ${snap.id} in ${ctx.deps.objects.url}`, snap.rowCounts);
    return { snapshotId: snap.id, manifestKey: snap.manifestKey };
  },
};
