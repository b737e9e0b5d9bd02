/** The stores every role process shares in the fault and multi-process tests: PostgreSQL of their own and an object store (an s3rver bucket or a folder). */
import { migrate } from "../../../src/db/migrate.ts";
import { openPostgres } from "../../../src/db/postgres.ts";
import type { Database } from "../../../src/db/types.ts";
import { FsObjectStore } from "../../../src/storage/fs.ts";
import type { ObjectStore } from "../../../src/storage/object_store.ts";
import { S3ObjectStore } from "../../../src/storage/s3.ts";
import { startS3Server, type TestS3Server } from "../../helpers/s3.ts";
import {
  commandEnv,
  type RunningCommand,
  type ServeProcess,
  spawnDeno,
  startServe,
} from "./cli.ts";
import { type OwnedPostgres, startOwnedPostgres } from "./owned_postgres.ts";
import { FAULT_ADMIN_TOKEN } from "../../helpers/secrets.ts";

/** The shared stores and the environment that points a command at them. */
export interface Stores {
  pg: OwnedPostgres;
  /** The bucket's server, for `store: "s3"`. */
  s3?: TestS3Server;
  /** The test's own connection (migrated) and its own client of the object store. */
  db: Database;
  objects: ObjectStore;
  /** The environment of every command: PostgreSQL, the object store, the admin token. */
  env: Record<string, string>;
  token: string;
  close(): Promise<void>;
}

/** Options of {@link startStores}. */
export interface StoresOptions {
  store: "s3" | "file";
  /** For "file": the folder (default: a new temp folder). */
  objectsDir?: string;
  /** For "s3": the endpoint the commands get (default the server's; a fault proxy in front of it). */
  endpoint?: (s3: TestS3Server) => string;
}

/** Starts PostgreSQL (migrated) and the object store, and the environment that points at both. */
export async function startStores(options: StoresOptions): Promise<Stores> {
  const pg = await startOwnedPostgres();
  const dir = await Deno.makeTempDir({ prefix: "reelrank-stores-" });
  const token = FAULT_ADMIN_TOKEN;
  const db = await openPostgres(pg.url, { max: 3 });
  await migrate(db, { quiet: true });
  let s3: TestS3Server | undefined;
  let objects: ObjectStore;
  let storeEnv: Record<string, string>;
  if (options.store === "s3") {
    s3 = await startS3Server();
    objects = new S3ObjectStore(`s3://${s3.bucket}`, {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
    });
    storeEnv = {
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: options.endpoint?.(s3) ?? s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    };
  } else {
    const folder = options.objectsDir ?? `${dir}/objects`;
    objects = new FsObjectStore(folder);
    storeEnv = { OBJECT_STORE_URL: `file://${folder}` };
  }
  return {
    pg,
    s3,
    db,
    objects,
    token,
    env: commandEnv({
      DATABASE_URL: pg.url,
      ...storeEnv,
      REELRANK_DATA_DIR: `${dir}/data`,
      REELRANK_ADMIN_TOKEN: token,
      REELRANK_THREADS: "1",
    }),
    async close() {
      objects.close();
      await db.close();
      await s3?.close();
      await pg.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Starts `n` serve processes on the stores, in parallel; each resolves once it listens. */
export function startServers(stores: Stores, n: number): Promise<ServeProcess[]> {
  return Promise.all(Array.from({ length: n }, () => startServe(stores.env)));
}

/** A `deno task scheduler` process: where it answers /health and /metrics. */
export interface SchedulerProcess {
  url: string;
  command: RunningCommand;
  /** SIGTERM, then waits for the clean shutdown. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno task scheduler --port 0` (the controltower role) on the stores, with the DAG's
 * schedule set to `cron` (default: once a year, so no tick fires during a test); resolves once it
 * prints its address.
 */
export async function startScheduler(
  stores: Stores,
  options: { cron?: string } = {},
): Promise<SchedulerProcess> {
  const command = spawnDeno(["task", "scheduler", "--port", "0"], {
    ...stores.env,
    REELRANK_DAG_CRON: options.cron ?? "0 0 1 1 *",
  });
  const ready = /^reelrank scheduler: .* on (http:\/\/\S+)$/m;
  await command.waitFor(ready);
  return {
    url: ready.exec(command.output())![1],
    command,
    async stop() {
      Deno.kill(-command.pid, "SIGTERM");
      return await command.status;
    },
  };
}
