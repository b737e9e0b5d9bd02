/** Which tables a snapshot holds, in restore order, with the key that orders and pages them. */

/** A table in a snapshot. */
export interface SnapshotTable {
  name: "ingest_runs" | "movies" | "users" | "interactions" | "rejected_rows";
  /** Primary-key columns: rows are written in this order and read in pages by it. */
  key: readonly string[];
}

/** The raw tables, parents first. */
export const SNAPSHOT_TABLES: readonly SnapshotTable[] = [
  { name: "ingest_runs", key: ["id"] },
  { name: "movies", key: ["id"] },
  { name: "users", key: ["id"] },
  { name: "interactions", key: ["user_id", "movie_id"] },
  { name: "rejected_rows", key: ["id"] },
];

/** The manifest stored next to the parts; its sha256 is recorded in the snapshots table. */
export interface SnapshotManifest {
  format: "reelrank-snapshot/1";
  id: string;
  createdAt: string;
  ingestRunId: number | null;
  tables: Record<string, {
    key: string;
    rows: number;
    /** sha256 of the uncompressed JSON lines (the content address). */
    sha256: string;
    /** sha256 and size of the stored gzip object. */
    gzipSha256: string;
    bytes: number;
  }>;
}

/** Where manifests live in the object store. */
export const MANIFEST_PREFIX = "snapshots/manifests/";

/** The object key of a manifest. */
export function manifestKey(id: string): string {
  return `${MANIFEST_PREFIX}${id}.json`;
}
