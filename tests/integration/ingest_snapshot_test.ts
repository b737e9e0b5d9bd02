/** Snapshots: an exact round trip through the fs store and S3 (s3rver), refusal on a non-empty database. */
import assert from "node:assert/strict";
import { dbTest, startTestPglite } from "../helpers/db.ts";
import { startS3Server } from "../helpers/s3.ts";
import { startFakeTmdb } from "../fixtures/tmdb/fake_server.ts";
import { openDatabase } from "../../src/db/open.ts";
import { migrate } from "../../src/db/migrate.ts";
import { wrapPglite } from "../../src/db/pglite.ts";
import type { Database } from "../../src/db/types.ts";
import { loadConfig } from "../../src/config.ts";
import { openObjectStore } from "../../src/storage/open.ts";
import type { ObjectStore } from "../../src/storage/object_store.ts";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";
import { ingestTmdb } from "../../src/data/ingest_tmdb.ts";
import { TmdbClient } from "../../src/data/tmdb.ts";
import { createSnapshot } from "../../src/snapshot/create.ts";
import { listSnapshots, restoreSnapshot } from "../../src/snapshot/restore.ts";
import { SNAPSHOT_TABLES } from "../../src/snapshot/tables.ts";
import { TMDB_SNAPSHOT_KEY } from "../helpers/secrets.ts";

const databaseUrl = loadConfig().databaseUrl;

/**
 * A second, empty database on the same backend as `db` (a new schema on PostgreSQL, a second
 * in-memory PGlite), migrated; dropped by `close`.
 */
async function emptyTwin(db: Database): Promise<{ db: Database; close: () => Promise<void> }> {
  if (db.kind !== "postgres") {
    const twin = wrapPglite(await startTestPglite());
    await migrate(twin, { quiet: true });
    return { db: twin, close: () => twin.close() };
  }
  const schema = `r_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const twin = await openDatabase({ databaseUrl, dataDir: "/nonexistent" }, { schema });
  twin.query("SET client_min_messages TO warning").catch(() => {});
  return {
    db: twin,
    close: async () => {
      await twin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await twin.close();
    },
  };
}

async function dump(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of SNAPSHOT_TABLES) {
    const rows = await db.query<{ j: string }>(
      `SELECT row_to_json(x)::text AS j FROM ${t.name} x ORDER BY ${t.key.join(", ")}`,
    );
    out[t.name] = rows.map((r) => r.j);
  }
  return out;
}

/** Fills `db` with every column type: MovieLens rows, TMDB rows, virtual users, rejected rows. */
async function fill(db: Database): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-ml-" });
  await Deno.writeTextFile(
    `${dir}/movies.csv`,
    'movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,"Heat, The (1995)",Action\n3,x (no),\n',
  );
  await Deno.writeTextFile(
    `${dir}/links.csv`,
    "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113277,949\n",
  );
  await Deno.writeTextFile(
    `${dir}/ratings.csv`,
    "userId,movieId,rating,timestamp\n1,1,4.5,964982703\n1,2,3.0,964982704\n2,1,bad,1\n",
  );
  const tmdb = startFakeTmdb({ apiKey: TMDB_SNAPSHOT_KEY });
  try {
    await ingestMovieLens(db, { path: dir });
    const client = new TmdbClient({
      baseUrl: tmdb.baseUrl,
      apiKey: TMDB_SNAPSHOT_KEY,
      rateLimit: 1000,
      sleep: () => Promise.resolve(),
    });
    const r = await ingestTmdb(db, client, { pages: 2, users: 12, moviesPerUser: 5, seed: 7 });
    return r.runId;
  } finally {
    await tmdb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function roundTrip(db: Database, store: ObjectStore) {
  const runId = await fill(db);
  const snap = await createSnapshot(db, store, {
    ingestRunId: runId,
    now: () => new Date("2025-03-01T12:00:00.123Z"),
  });
  assert.match(snap.id, /^20250301T120000Z-[0-9a-f]{12}$/);
  assert.equal(
    snap.rowCounts.movies,
    10,
    "3 MovieLens + 7 new TMDB movies (862 enriches Toy Story)",
  );
  const [recorded] = await db.query<{ id: string; sha256: string }>(
    "SELECT id, sha256 FROM snapshots",
  );
  assert.deepEqual(recorded, { id: snap.id, sha256: snap.sha256 });
  assert.deepEqual((await listSnapshots(store)).map((m) => m.id), [snap.id]);

  const again = await createSnapshot(db, store, {
    ingestRunId: runId,
    now: () => new Date("2025-03-01T12:00:00.123Z"),
  });
  assert.equal(again.id, snap.id, "same content and time → same id");

  const twin = await emptyTwin(db);
  try {
    const restored = await restoreSnapshot(twin.db, store, snap.id);
    assert.deepEqual(restored, snap.rowCounts);
    assert.deepEqual(await dump(twin.db), await dump(db));
    // Sequences moved past the restored ids: a new TMDB-only movie does not collide.
    const [{ id }] = await twin.db.query<{ id: number }>(
      "SELECT nextval('movie_tmdb_only_id_seq')::int8 AS id",
    );
    const [{ max }] = await twin.db.query<{ max: number }>("SELECT max(id) AS max FROM movies");
    assert.ok(id > max);
    await assert.rejects(
      restoreSnapshot(twin.db, store, snap.id),
      /restore needs an empty database, but it holds/,
    );
  } finally {
    await twin.close();
  }
}

dbTest("a snapshot on the fs store restores exactly into an empty database", async (db) => {
  const root = await Deno.makeTempDir({ prefix: "reelrank-objects-" });
  try {
    await roundTrip(db, openObjectStore({ objectStoreUrl: `file://${root}`, s3: loadConfig().s3 }));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

dbTest("a snapshot on S3 (s3rver) restores exactly into an empty database", async (db) => {
  const s3 = await startS3Server();
  try {
    const store = openObjectStore({
      objectStoreUrl: `s3://${s3.bucket}/snaps`,
      s3: {
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        forcePathStyle: true,
      },
    });
    await roundTrip(db, store);
  } finally {
    await s3.close();
  }
});

dbTest("restoring an unknown snapshot or a damaged part fails with a clear error", async (db) => {
  const root = await Deno.makeTempDir({ prefix: "reelrank-objects-" });
  try {
    const store = openObjectStore({ objectStoreUrl: `file://${root}`, s3: loadConfig().s3 });
    await assert.rejects(restoreSnapshot(db, store, "nope"), /no snapshot "nope".*snapshot list/);
    // Every table holds rows (the damaged part is the second restored, after ingest_runs).
    await fill(db);
    const snap = await createSnapshot(db, store);
    const movies = (await store.list("snapshots/parts/movies-"))[0].key;
    await store.put(movies, new TextEncoder().encode("not gzip"));
    const twin = await emptyTwin(db);
    try {
      await assert.rejects(restoreSnapshot(twin.db, store, snap.id), /does not match its sha256/);
      assert.deepEqual(
        Object.values(await dump(twin.db)).map((r) => r.length),
        [0, 0, 0, 0, 0],
        "nothing half-restored",
      );
    } finally {
      await twin.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
