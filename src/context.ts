/** Opens what commands and services share: database, object store, tracking, registry, kernel. */
import type { Config } from "./config.ts";
import type { Database } from "./db/types.ts";
import { openDatabase } from "./db/open.ts";
import type { ObjectStore } from "./storage/object_store.ts";
import { openObjectStore } from "./storage/open.ts";
import { SqlTrackingStore } from "./tracking/sql_store.ts";
import { SqlModelRegistry } from "./registry/sql_store.ts";
import { Kernel } from "./model/mod.ts";

/** The registered model name reelrank trains and serves. */
export const MODEL_NAME = "reelrank";

/** Everything a command needs, opened once and closed together. */
export interface Context {
  config: Config;
  db: Database;
  objects: ObjectStore;
  tracking: SqlTrackingStore;
  registry: SqlModelRegistry;
  /** The WASM kernel, started on first use (its workers cost a little). */
  kernel(): Promise<Kernel>;
  close(): Promise<void>;
}

/** Opens the context for `config`; the caller must `close()` it. */
export async function openContext(config: Config): Promise<Context> {
  const db = await openDatabase(config);
  const objects = openObjectStore(config);
  let kernel: Promise<Kernel> | undefined;
  return {
    config,
    db,
    objects,
    tracking: new SqlTrackingStore(db, { objects }),
    registry: new SqlModelRegistry(db, { objects }),
    kernel: () => kernel ??= Kernel.create({ threads: config.threads }),
    async close() {
      if (kernel) (await kernel).close();
      (objects as { close?: () => void }).close?.();
      await db.close();
    },
  };
}

/**
 * Marks runs whose process died (kill -9, power loss) as failed. On PGlite the data-folder lock
 * means no other process can be training, so every "running" run is abandoned; on PostgreSQL only
 * runs silent for longer than 10 minutes (heartbeats come every 30 s) are.
 */
export function reapAbandonedRuns(ctx: Pick<Context, "db" | "tracking">): Promise<string[]> {
  return ctx.tracking.reapStaleRuns({ maxAgeMs: ctx.db.kind === "pglite" ? 1 : 10 * 60_000 });
}
