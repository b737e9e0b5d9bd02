/** Writes the raw tables to the object store as a content-addressed, gzipped snapshot with a manifest. */
import type { Sql } from "../db/types.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { getLogger } from "../log.ts";
import { exportSnapshot, type Metrics } from "../observability/metrics.ts";
import { sha256Hex } from "../digest.ts";
import { gzip } from "./codec.ts";
import {
  manifestKey,
  SNAPSHOT_TABLES,
  type SnapshotManifest,
  type SnapshotTable,
} from "./tables.ts";

const log = getLogger("snapshot");
const PAGE = 50_000;

/** One table as JSON lines, one `row_to_json` per row in key order — PostgreSQL does the
 * serialisation, so every type (float8, real, date, timestamptz, text[], jsonb) round-trips exactly. */
async function exportTable(db: Sql, table: SnapshotTable): Promise<{ text: string; rows: number }> {
  const key = table.key.join(", ");
  const parts: string[] = [];
  let after: unknown[] | null = null;
  for (;;) {
    const params: unknown[] = after ?? [];
    const where = after
      ? `WHERE (${key}) > (${table.key.map((_, i) => `$${i + 1}`).join(", ")})`
      : "";
    const rows: { j: string; k: unknown[] }[] = await db.query(
      `SELECT row_to_json(t)::text AS j, json_build_array(${
        table.key.map((c) => `t.${c}`).join(", ")
      }) AS k
       FROM ${table.name} t ${where} ORDER BY ${key} LIMIT ${PAGE}`,
      params,
    );
    for (const r of rows) parts.push(r.j);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].k;
  }
  return { text: parts.length ? parts.join("\n") + "\n" : "", rows: parts.length };
}

/** What {@linkcode createSnapshot} recorded. */
export interface SnapshotInfo {
  id: string;
  createdAt: Date;
  manifestKey: string;
  /** sha256 of the manifest bytes. */
  sha256: string;
  rowCounts: Record<string, number>;
  ingestRunId: number | null;
}

/**
 * Snapshots movies, users, interactions, rejected rows and ingest runs into `store` and records it
 * in the snapshots table. Parts are keyed by the sha256 of their content, so unchanged tables are
 * not written again; the id is the UTC time plus a hash of the parts.
 */
export async function createSnapshot(
  db: Sql,
  store: ObjectStore,
  opts: { ingestRunId?: number | null; now?: () => Date; metrics?: Metrics } = {},
): Promise<SnapshotInfo> {
  const createdAt = (opts.now ?? (() => new Date()))();
  const tables: SnapshotManifest["tables"] = {};
  for (const table of SNAPSHOT_TABLES) {
    const { text, rows } = await exportTable(db, table);
    const bytes = new TextEncoder().encode(text);
    const sha256 = await sha256Hex(bytes);
    const key = `snapshots/parts/${table.name}-${sha256}.jsonl.gz`;
    const packed = await gzip(bytes);
    const existing = await store.head(key);
    const put = existing && existing.size === packed.length
      ? { sha256: await sha256Hex(await store.get(key)), size: existing.size }
      : await store.put(key, packed, { contentType: "application/gzip" });
    tables[table.name] = { key, rows, sha256, gzipSha256: put.sha256, bytes: put.size };
  }
  const stamp = createdAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const digest = await sha256Hex(Object.values(tables).map((t) => t.sha256).join(","));
  const id = `${stamp}-${digest.slice(0, 12)}`;
  const manifest: SnapshotManifest = {
    format: "reelrank-snapshot/1",
    id,
    createdAt: createdAt.toISOString(),
    ingestRunId: opts.ingestRunId ?? null,
    tables,
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n");
  const mKey = manifestKey(id);
  const put = await store.put(mKey, manifestBytes, { contentType: "application/json" });
  const rowCounts = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.rows]));
  await db.query(
    `INSERT INTO snapshots (id, created_at, manifest_key, object_keys, sha256, row_counts, ingest_run_id)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7)
     ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256`,
    [
      id,
      createdAt,
      mKey,
      JSON.stringify([mKey, ...Object.values(tables).map((t) => t.key)]),
      put.sha256,
      JSON.stringify(rowCounts),
      manifest.ingestRunId,
    ],
  );
  if (opts.metrics) exportSnapshot(opts.metrics, { createdAt, tables });
  log.info("snapshot written", { snapshot_id: id, store: store.url, ...rowCounts });
  return {
    id,
    createdAt,
    manifestKey: mKey,
    sha256: put.sha256,
    rowCounts,
    ingestRunId: manifest.ingestRunId,
  };
}
