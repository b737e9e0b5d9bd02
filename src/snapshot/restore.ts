/** Lists snapshots in the object store and restores one, verified, into an empty database. */
import type { Database } from "../db/types.ts";
import { corrupt, notFound, ReelrankError } from "../errors.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { getLogger } from "../log.ts";
import { sha256Hex } from "../digest.ts";
import { gunzip } from "./codec.ts";
import { MANIFEST_PREFIX, manifestKey, SNAPSHOT_TABLES, type SnapshotManifest } from "./tables.ts";

const log = getLogger("snapshot");
const CHUNK = 5_000;

/**
 * Largest part restored (its JSON lines are decoded as one string, which V8 caps near 512 MiB
 * characters); the bundled set's largest part is about 10 MB.
 */
export const MAX_PART_BYTES = 256 * 1024 * 1024;

/** Reads and checks the manifest at `key` (CORRUPT when it is not a snapshot manifest). */
export async function readManifest(
  store: ObjectStore,
  key: string,
): Promise<{ manifest: SnapshotManifest; sha256: string }> {
  const bytes = await store.get(key);
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw corrupt(`snapshot manifest ${key} is not valid JSON`, { cause });
  }
  if (manifest?.format !== "reelrank-snapshot/1") {
    throw corrupt(
      `snapshot manifest ${key} has format "${manifest?.format}"; expected "reelrank-snapshot/1"`,
    );
  }
  return { manifest, sha256: await sha256Hex(bytes) };
}

/**
 * A snapshot part's rows as JSON lines, verified against the manifest: the stored bytes' sha256,
 * the content's sha256 and the row count (CORRUPT on any mismatch).
 */
export async function readPartLines(
  store: ObjectStore,
  part: SnapshotManifest["tables"][string],
): Promise<string[]> {
  const packed = await store.get(part.key);
  if (await sha256Hex(packed) !== part.gzipSha256) {
    throw corrupt(`snapshot part ${part.key} does not match its sha256`);
  }
  const bytes = await gunzip(packed, {
    maxBytes: MAX_PART_BYTES,
    name: `snapshot part ${part.key}`,
  });
  if (await sha256Hex(bytes) !== part.sha256) {
    throw corrupt(`snapshot part ${part.key} content does not match its sha256`);
  }
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.length > 0);
  if (lines.length !== part.rows) {
    throw corrupt(
      `snapshot part ${part.key} holds ${lines.length} rows; the manifest says ${part.rows}`,
    );
  }
  return lines;
}

/** Every snapshot manifest in the store, newest first. */
export async function listSnapshots(store: ObjectStore): Promise<SnapshotManifest[]> {
  const out: SnapshotManifest[] = [];
  for (const info of await store.list(MANIFEST_PREFIX)) {
    if (info.key.endsWith(".json")) out.push((await readManifest(store, info.key)).manifest);
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** Row counts of the snapshot tables; all zero means the database is empty. */
async function tableCounts(db: Database): Promise<Record<string, number>> {
  const sql = SNAPSHOT_TABLES.map((t) => `(SELECT count(*) FROM ${t.name})::int AS ${t.name}`).join(
    ", ",
  );
  const [row] = await db.query<Record<string, number>>(`SELECT ${sql}`);
  return row;
}

/**
 * Restores snapshot `id` into `db`, which must hold no data rows (a CONFLICT error otherwise). Each
 * part is checked against the manifest's sha256 before use; everything is written in one
 * transaction, then the id sequences are moved past the restored ids.
 */
export async function restoreSnapshot(
  db: Database,
  store: ObjectStore,
  id: string,
): Promise<Record<string, number>> {
  const counts = await tableCounts(db);
  const nonEmpty = Object.entries(counts).filter(([, n]) => n > 0);
  if (nonEmpty.length) {
    throw new ReelrankError(
      "CONFLICT",
      `restore needs an empty database, but it holds ${
        nonEmpty.map(([t, n]) => `${n} ${t}`).join(", ")
      }; ` +
        "point DATABASE_URL or REELRANK_DATA_DIR at a new database and run the restore again",
      { permanent: true },
    );
  }
  const key = manifestKey(id);
  if (!(await store.head(key))) {
    throw notFound(`no snapshot "${id}" in ${store.url}; run \`deno task snapshot list\``);
  }
  const { manifest, sha256 } = await readManifest(store, key);
  const restored: Record<string, number> = {};
  await db.transaction(async (tx) => {
    for (const table of SNAPSHOT_TABLES) {
      const part = manifest.tables[table.name];
      if (!part) throw corrupt(`snapshot ${id} has no part for table ${table.name}`);
      const lines = await readPartLines(store, part);
      for (let i = 0; i < lines.length; i += CHUNK) {
        await tx.query(
          `INSERT INTO ${table.name} SELECT * FROM jsonb_populate_recordset(null::${table.name}, $1::jsonb)`,
          [`[${lines.slice(i, i + CHUNK).join(",")}]`],
        );
      }
      restored[table.name] = lines.length;
    }
    await tx.exec(`
      SELECT setval('movie_tmdb_only_id_seq', greatest((SELECT max(id) FROM movies) + 1, 1000000000), false);
      SELECT setval('virtual_user_id_seq', greatest((SELECT max(id) FROM users) + 1, 1000000000), false);
      SELECT setval(pg_get_serial_sequence('ingest_runs', 'id'), coalesce((SELECT max(id) FROM ingest_runs), 0) + 1, false);
      SELECT setval(pg_get_serial_sequence('rejected_rows', 'id'), coalesce((SELECT max(id) FROM rejected_rows), 0) + 1, false);
    `);
    await tx.query(
      `INSERT INTO snapshots (id, created_at, manifest_key, object_keys, sha256, row_counts, ingest_run_id)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7) ON CONFLICT (id) DO NOTHING`,
      [
        id,
        new Date(manifest.createdAt),
        key,
        JSON.stringify([key, ...Object.values(manifest.tables).map((t) => t.key)]),
        sha256,
        JSON.stringify(restored),
        manifest.ingestRunId,
      ],
    );
  });
  log.info("snapshot restored", { snapshot_id: id, ...restored });
  return restored;
}
