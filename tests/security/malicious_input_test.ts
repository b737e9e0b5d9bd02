/** Malicious data files: a MovieLens folder with a 1 GB line, a huge field or bytes that are not UTF-8, and a gzip bomb in a snapshot, are refused whole with a clear error and nothing stored. */
import assert from "node:assert/strict";
import { ingestMovieLens } from "../../src/data/ingest_movielens.ts";
import type { Database } from "../../src/db/types.ts";
import { ReelrankError } from "../../src/errors.ts";
import { sha256Hex } from "../../src/digest.ts";
import { createSnapshot } from "../../src/snapshot/create.ts";
import { MAX_PART_BYTES, restoreSnapshot } from "../../src/snapshot/restore.ts";
import { manifestKey } from "../../src/snapshot/tables.ts";
import { dbTest, withDatabase } from "../helpers/db.ts";
import { seedCatalog } from "../helpers/serving.ts";
import { writeMovieLensFolder } from "../integration/faults/movielens_folder.ts";
import { MemoryObjectStore } from "../unit/tracking/support.ts";

const TABLES = ["movies", "users", "interactions", "rejected_rows", "ingest_runs", "snapshots"];

async function counts(db: Database): Promise<Record<string, number>> {
  const [row] = await db.query<Record<string, number>>(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(", ")}`,
  );
  return row;
}

const EMPTY = Object.fromEntries(TABLES.map((t) => [t, 0]));

/** Ingests `folder`, expecting INVALID_PARAMETER matching `message` and an untouched database. */
async function refused(db: Database, folder: string, message: RegExp): Promise<void> {
  await assert.rejects(ingestMovieLens(db, { path: folder, batchSize: 100 }), (err) => {
    assert.ok(err instanceof ReelrankError, String(err));
    assert.equal(err.code, "INVALID_PARAMETER");
    assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(await counts(db), EMPTY, "nothing was stored");
}

dbTest(
  "a ratings.csv whose last line is 1 GB long is refused after 64 Ki characters, before anything is stored",
  async (db) => {
    const folder = await writeMovieLensFolder();
    try {
      // Valid rows first (so only the first read keeps them out), then a 1 GB line. The file is
      // sparse: the bytes after the line's start are a hole (NUL characters) that costs no disk,
      // and the reader stops long before its end.
      const path = `${folder}/ratings.csv`;
      const lines = (await Deno.readTextFile(path)).split("\n").length;
      await Deno.writeTextFile(path, "1,1,4.0,", { append: true });
      await Deno.truncate(path, (await Deno.stat(path)).size + (1 << 30));
      await Deno.writeTextFile(path, "\n", { append: true });
      assert.ok((await Deno.stat(path)).size > 1 << 30);
      await refused(
        db,
        folder,
        new RegExp(`^ratings\\.csv line ${lines}: a record longer than 65536 characters`),
      );
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

dbTest(
  "a movie title of 10,000 characters refuses the whole folder, naming the file, line and field",
  async (db) => {
    const folder = await writeMovieLensFolder();
    try {
      const path = `${folder}/movies.csv`;
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, text + `181,"${"A".repeat(10_000)}",Drama\n`);
      await refused(
        db,
        folder,
        /^movies\.csv line 182: field 2 has 10000 characters; at most 4096/,
      );
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

dbTest(
  "bytes that are not UTF-8 in movies.csv or at the end of ratings.csv refuse the folder",
  async (db) => {
    for (const [file, at] of [["movies.csv", 40], ["ratings.csv", -1]] as const) {
      const folder = await writeMovieLensFolder();
      try {
        const path = `${folder}/${file}`;
        const lines = (await Deno.readTextFile(path)).split("\n");
        const bad = at < 0 ? lines.length - 1 : at;
        const bytes = [
          ...new TextEncoder().encode(lines.slice(0, bad).join("\n") + "\n"),
          ...[0x39, 0x39, 0x2c, 0xff, 0xfe, 0xc3, 0x28, 0x0a],
        ];
        await Deno.writeFile(path, new Uint8Array(bytes));
        await refused(
          db,
          folder,
          new RegExp(`^${file.replace(".", "\\.")} line ${bad + 1}: bytes that are not UTF-8`),
        );
      } finally {
        await Deno.remove(folder, { recursive: true });
      }
    }
  },
);

Deno.test(
  "deno task ingest refuses a malicious folder with one readable line and exit code 1",
  async () => {
    const folder = await writeMovieLensFolder();
    const data = await Deno.makeTempDir({ prefix: "reelrank-bad-ingest-" });
    try {
      await Deno.writeFile(
        `${folder}/movies.csv`,
        new Uint8Array([...new TextEncoder().encode("movieId,title,genres\n1,"), 0xc0, 0x80, 0x0a]),
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "src/cli/ingest.ts", "--source", "movielens", "--path", folder],
        cwd: new URL("../../", import.meta.url).pathname,
        env: { REELRANK_DATA_DIR: data, DATABASE_URL: "", OBJECT_STORE_URL: "", NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr).trim();
      assert.equal(out.code, 1, stderr);
      assert.match(
        stderr,
        /^error: movies\.csv line 2: bytes that are not UTF-8; save the file as UTF-8$/,
      );
    } finally {
      await Deno.remove(folder, { recursive: true });
      await Deno.remove(data, { recursive: true });
    }
  },
);

// On PGlite only: the check happens before any SQL, and inflating 256 MiB twice costs seconds.
Deno.test(
  "a snapshot whose part is a gzip bomb is refused on restore without inflating it all, and nothing is restored",
  () =>
    withDatabase("pglite", async (db) => {
      const objects = new MemoryObjectStore();
      // A real snapshot of a small database, then its interactions part swapped for a bomb whose
      // sha256 the forged manifest records (whoever can write the bucket can write both).
      await seedCatalog(db);
      const { id } = await createSnapshot(db, objects);
      await db.exec(`TRUNCATE ${TABLES.join(", ")} CASCADE`);
      const zeros = new Uint8Array(1 << 20);
      let chunks = 0;
      const bombSize = MAX_PART_BYTES + (1 << 20);
      const bomb = new Uint8Array(
        await new Response(
          (new ReadableStream<Uint8Array>({
            pull(c) {
              if (chunks++ < bombSize / zeros.length) c.enqueue(zeros);
              else c.close();
            },
          }) as ReadableStream<BufferSource>).pipeThrough(new CompressionStream("gzip")),
        ).arrayBuffer(),
      );
      assert.ok(bomb.length < 1 << 20, `the bomb is small (${bomb.length} bytes)`);
      const key = "snapshots/parts/interactions-bomb.jsonl.gz";
      await objects.put(key, bomb);
      const manifest = JSON.parse(new TextDecoder().decode(await objects.get(manifestKey(id))));
      manifest.tables.interactions = {
        ...manifest.tables.interactions,
        key,
        gzipSha256: await sha256Hex(bomb),
      };
      await objects.put(manifestKey(id), new TextEncoder().encode(JSON.stringify(manifest)));

      await assert.rejects(restoreSnapshot(db, objects, id), (err) => {
        assert.ok(err instanceof ReelrankError, String(err));
        assert.equal(err.code, "CORRUPT");
        assert.equal(
          err.message,
          `snapshot part ${key} inflates to more than ${MAX_PART_BYTES} bytes (from ${bomb.length} compressed); refusing it`,
        );
        return true;
      });
      assert.deepEqual(await counts(db), EMPTY, "the tables restored before it were rolled back");
    }),
);
