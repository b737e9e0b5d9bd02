/** The PostgreSQL backend: a `postgres` (postgres.js) pool behind the `Database` interface. */
import postgres from "postgres";
import { ReelrankError } from "../errors.ts";
import { ARRAY_TYPES, arrayParser, jsonCodec, serializeArray, toNumber } from "./pg_types.ts";
import type { Database, Row, Sql } from "./types.ts";

// deno-lint-ignore no-explicit-any
type PgClient = postgres.Sql<any>;
// deno-lint-ignore no-explicit-any
type PgTx = postgres.TransactionSql<any>;

function typeOptions(): Record<string, postgres.PostgresType> {
  const types: Record<string, postgres.PostgresType> = {
    int8: { to: 20, from: [20], serialize: String, parse: toNumber },
    numeric: { to: 1700, from: [1700], serialize: String, parse: toNumber },
    json: { to: 3802, from: [114, 3802], ...jsonCodec },
  };
  // postgres.js's own array parser reads NULL as the string "NULL": every common array type gets
  // the shared codec instead (registering both directions also stops fetch_types overriding it).
  for (const [name, [, arrayOid, parse]] of Object.entries(ARRAY_TYPES)) {
    types[`${name}_array`] = {
      to: arrayOid,
      from: [arrayOid],
      serialize: serializeArray,
      parse: arrayParser(parse),
    };
  }
  return types;
}

/** Lets the server pick the type of array parameters (postgres.js would guess the element type). */
function prepareParams(client: PgClient, params: readonly unknown[]): never[] {
  return params.map((
    p,
  ) => (Array.isArray(p) ? client.typed(p, 0) : p === undefined ? null : p)) as never[];
}

/** Socket-level failures (postgres.js codes, Node errnos) and SQLSTATEs of a server going away. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
]);

/**
 * A lost or refused connection becomes UNAVAILABLE (HTTP 503, retried by the pipeline), naming
 * the cause; the pool reconnects on the next query once the server is back. Other errors (a
 * constraint, bad SQL) pass through unchanged.
 */
export function connectionFailure(err: unknown): ReelrankError | null {
  const code = String((err as { code?: unknown })?.code ?? "");
  if (!CONNECTION_CODES.has(code) && !code.startsWith("08")) return null;
  return new ReelrankError(
    "UNAVAILABLE",
    `the database is unavailable (${code}); retry when PostgreSQL is back`,
    { cause: err },
  );
}

async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw connectionFailure(err) ?? err;
  }
}

function wrap(client: PgClient, run: PgClient | PgTx, inTx: boolean): Sql {
  const self: Sql = {
    async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await guarded(() => run.unsafe(text, prepareParams(client, params)));
      return [...rows] as T[];
    },
    async exec(text: string): Promise<void> {
      await guarded(() => run.unsafe(text));
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (inTx) return fn(self);
      return await guarded(() => client.begin((tx) => fn(wrap(client, tx, true)))) as T;
    },
  };
  return self;
}

/** Options of {@linkcode openPostgres}. */
export interface PostgresOptions {
  /** Schema used for every connection (created when missing); default: the server's search_path. */
  schema?: string;
  /** Pool size; default 10. */
  max?: number;
}

/**
 * Opens a pool on a PostgreSQL URL. Results: int8/numeric → number, jsonb → object,
 * timestamptz → Date, arrays parsed (with NULLs) — the same as the PGlite backend.
 */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Database> {
  const client = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    types: typeOptions(),
    connection: opts.schema ? { search_path: opts.schema, application_name: "reelrank" } : {
      application_name: "reelrank",
    },
  });
  try {
    if (opts.schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
    else await client.unsafe("SELECT 1");
  } catch (err) {
    await client.end({ timeout: 1 });
    const host = url.replace(/^postgres(ql)?:\/\/([^@/]*@)?/, "").split("/")[0];
    throw new ReelrankError(
      "UNAVAILABLE",
      `cannot connect to PostgreSQL at ${host}: ${
        (err as Error).message
      }; check DATABASE_URL or unset it to use PGlite`,
      { cause: err },
    );
  }
  const sql = wrap(client, client, false);
  return {
    kind: "postgres",
    ...sql,
    async listen(channel, onNotify) {
      // postgres.js keeps one dedicated connection for every listener and re-listens after a drop.
      const { unlisten } = await client.listen(channel, onNotify);
      return unlisten;
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
