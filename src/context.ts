/** The composition root: the one place that opens the stores and wires them, typed by their interfaces. */
import type { Config } from "./config.ts";
import type { Database } from "./db/types.ts";
import { openDatabase } from "./db/open.ts";
import { Kernel } from "./model/mod.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import type { ModelRegistry } from "./registry/store.ts";
import { SqlModelRegistry } from "./registry/sql_store.ts";
import type { ObjectStore } from "./storage/object_store.ts";
import { openObjectStore } from "./storage/open.ts";
import type { TrackingStore } from "./tracking/store.ts";
import { SqlTrackingStore } from "./tracking/sql_store.ts";

/** Everything a command or a server needs, opened once and closed together. */
export interface Context {
  config: Config;
  db: Database;
  objects: ObjectStore;
  tracking: TrackingStore;
  registry: ModelRegistry;
  /** The clock every store stamps rows with. */
  clock: () => Date;
  /** The process's one metrics registry: the server's /metrics shows what any task recorded on it. */
  metrics: Metrics;
  /** The WASM kernel, started on first use (its workers cost a little). */
  kernel(): Promise<Kernel>;
  /** Frees the kernel if it was started (a server keeps no training arena); kernel() starts anew. */
  releaseKernel(): Promise<void>;
  /** Closes the kernel, the object store and the database, in that order. */
  close(): Promise<void>;
}

/** The object store alone, for commands that never touch the database (`snapshot list`). */
export type StorageContext = Pick<Context, "config" | "objects" | "close">;

/**
 * Wires the stores over an open database and object store; `close()` closes both. Tests pass
 * their own database (a fresh schema) and store; commands use {@link openContext}.
 */
export function createContext(
  parts: { config: Config; db: Database; objects: ObjectStore },
  options: { clock?: () => Date; metrics?: Metrics } = {},
): Context {
  const { config, db, objects } = parts;
  const clock = options.clock ?? (() => new Date());
  const metrics = options.metrics ?? createMetrics();
  metrics.driftPsiThreshold.set(config.drift.threshold);
  let kernel: Promise<Kernel> | undefined;
  return {
    config,
    db,
    objects,
    clock,
    metrics,
    tracking: new SqlTrackingStore(db, { objects, clock }),
    registry: new SqlModelRegistry(db, {
      objects,
      clock,
      coverage: config.gateCoverageTolerance === undefined
        ? undefined
        : { tolerance: config.gateCoverageTolerance },
    }),
    kernel: () => kernel ??= Kernel.create({ threads: config.threads }),
    async releaseKernel() {
      const k = kernel;
      kernel = undefined;
      if (k) (await k).close();
    },
    async close() {
      try {
        if (kernel) (await kernel).close();
        objects.close();
      } finally {
        await db.close();
      }
    },
  };
}

/** Opens the database and the object store named by `config`; the caller must `close()` it. */
export async function openContext(config: Config): Promise<Context> {
  const objects = openObjectStore(config);
  try {
    return createContext({ config, db: await openDatabase(config), objects });
  } catch (err) {
    objects.close();
    throw err;
  }
}

/** Opens only the object store (no database, so no PGlite lock is taken). */
export function openStorageContext(config: Config): StorageContext {
  const objects = openObjectStore(config);
  return { config, objects, close: () => Promise.resolve(objects.close()) };
}

/**
 * Marks runs whose process died (kill -9, power loss) as failed. On PGlite the data-folder lock
 * means no other process can be training, so every "running" run is abandoned; on PostgreSQL only
 * runs silent for longer than 10 minutes (heartbeats come every 30 s) are.
 */
export function reapAbandonedRuns(ctx: Pick<Context, "db" | "tracking">): Promise<string[]> {
  return ctx.tracking.reapStaleRuns({ maxAgeMs: ctx.db.kind === "pglite" ? 1 : 10 * 60_000 });
}
