/** The embedded backend: PGlite (PostgreSQL in WASM) in a locked data folder or in memory. */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import {
  ARRAY_TYPES,
  arrayParser,
  jsonCodec,
  serializeArray,
  toDate,
  toNumber,
} from "./pg_types.ts";
import { acquireFolderLock, type FolderLock } from "./lock.ts";
import type { Database, Row, Sql } from "./types.ts";

/** Parsers and serializers that make PGlite rows identical to the postgres.js backend's. */
function codecs() {
  const parsers: Record<number, (x: string) => unknown> = {
    20: toNumber,
    1700: toNumber,
    114: jsonCodec.parse,
    3802: jsonCodec.parse,
    1082: toDate,
    1114: toDate,
    1184: toDate,
  };
  const serializers: Record<number, (x: unknown) => string> = {
    114: jsonCodec.serialize,
    3802: jsonCodec.serialize,
  };
  for (const [, arrayOid, parse] of Object.values(ARRAY_TYPES)) {
    parsers[arrayOid] = arrayParser(parse);
    serializers[arrayOid] = serializeArray;
  }
  return { parsers, serializers };
}

/**
 * Starts a PGlite instance with reelrank's type codecs; `dataDir` undefined means in memory.
 * `loadDataDir` starts from a dump of a data folder (`PGlite.dumpDataDir()`) instead of running
 * initdb: the tests start each module's in-memory instance from one dump of a fresh instance.
 */
export async function startPglite(
  dataDir?: string,
  options: { loadDataDir?: Blob } = {},
): Promise<PGlite> {
  return await PGlite.create({ dataDir, loadDataDir: options.loadDataDir, ...codecs() });
}

const noNotice = () => {};

function wrapTx(tx: Transaction): Sql {
  const self: Sql = {
    async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await tx.query<T>(text, params as unknown[], { onNotice: noNotice })).rows;
    },
    async exec(text: string): Promise<void> {
      await tx.exec(text, { onNotice: noNotice });
    },
    transaction: (fn) => fn(self),
  };
  return self;
}

/**
 * Wraps a running PGlite instance as a `Database`. `onClose` runs on `close()` (the default
 * closes the instance); test helpers pass their own to keep one shared instance alive.
 */
export function wrapPglite(pg: PGlite, opts: { onClose?: () => Promise<void> } = {}): Database {
  return {
    kind: "pglite",
    async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await pg.query<T>(text, params as unknown[], { onNotice: noNotice })).rows;
    },
    async exec(text: string): Promise<void> {
      await pg.exec(text, { onNotice: noNotice });
    },
    transaction: (fn) => pg.transaction((tx) => fn(wrapTx(tx))),
    async listen(channel, onNotify) {
      const stop = await pg.listen(channel, onNotify);
      return async () => {
        if (!pg.closed) await stop();
      };
    },
    close: opts.onClose ?? (() => pg.close()),
  };
}

/** Options of {@linkcode openPglite}. */
export interface PgliteOptions {
  /** Folder holding `pgdata/` and its lock; omit for an in-memory database. */
  dataDir?: string;
  /** Schema to create (if missing) and put first on the search_path. */
  schema?: string;
}

/**
 * Opens PGlite. On disk, the folder `${dataDir}/pgdata` is guarded by an exclusive lock
 * (`${dataDir}/pgdata.lock`): a second opener gets a CONFLICT error and never touches the files.
 */
export async function openPglite(opts: PgliteOptions = {}): Promise<Database> {
  let lock: FolderLock | undefined;
  let pg: PGlite;
  if (opts.dataDir) {
    await Deno.mkdir(opts.dataDir, { recursive: true });
    lock = acquireFolderLock(`${opts.dataDir}/pgdata.lock`, {
      what: `the PGlite database in ${opts.dataDir}/pgdata`,
    });
  }
  try {
    pg = await startPglite(opts.dataDir ? `${opts.dataDir}/pgdata` : undefined);
    if (opts.schema) {
      await pg.exec(
        `CREATE SCHEMA IF NOT EXISTS "${opts.schema}"; SET search_path TO "${opts.schema}"`,
        {
          onNotice: noNotice,
        },
      );
    }
  } catch (err) {
    lock?.release();
    throw err;
  }
  return wrapPglite(pg, {
    onClose: async () => {
      try {
        await pg.close();
      } finally {
        lock?.release();
      }
    },
  });
}
