/** Impressions are kept in memory, written in batches off the request path, bounded, and flushed on shutdown. */
import assert from "node:assert/strict";
import type { Sql } from "../../../src/db/types.ts";
import {
  type Impression,
  ImpressionLog,
  newImpressionId,
  PGLITE_SLICE_ROWS,
  sliceRowsFor,
} from "../../../src/online/impressions.ts";
import { RowBuffer } from "../../../src/online/row_buffer.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { dbTest } from "../../helpers/db.ts";
import { servingFixture } from "../../helpers/serving.ts";

const at = new Date("2026-01-01T00:00:00Z");

function impression(i: number): Impression {
  return {
    id: `imp-${i}`,
    model: "reelrank",
    userId: i,
    visitorId: null,
    version: 1,
    arm: "production",
    strategy: "model",
    movieIds: [i, i + 1, i + 2],
    shownAt: at,
  };
}

/** `db` with a count of the statements that insert impressions, and the rows of each. */
function counting(db: Sql) {
  const seen = { inserts: 0, sizes: [] as number[] };
  const sql: Sql = {
    query: (text, params) => {
      if (/INSERT INTO "impressions"/.test(text)) {
        seen.inserts++;
        // The first parameter is the ids' array literal, `{imp-1,imp-2,…}`.
        seen.sizes.push(String(params?.[0]).split(",").length);
      }
      return db.query(text, params);
    },
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
  };
  return { sql, seen };
}

const stored = async (db: Sql) =>
  Number((await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM impressions"))[0].n);

dbTest("impressions wait in memory and are written in one statement per batch", async (db) => {
  const { sql, seen } = counting(db);
  const log = new ImpressionLog(sql, { flushMs: 0, batchRows: 100 });
  for (let i = 1; i <= 40; i++) log.record(impression(i));
  assert.equal(await stored(db), 0, "recording never writes");
  assert.deepEqual((await log.find("imp-7"))?.movieIds, [7, 8, 9], "found while waiting");
  await log.flush();
  assert.equal(await stored(db), 40);
  assert.equal(seen.inserts, 1, "one statement for the batch");
  const back = await log.find("imp-7");
  assert.deepEqual(back, impression(7), "read back from the database as recorded");
  await log.close();
});

dbTest("a full batch starts a flush by itself, and close() writes what is left", async (db) => {
  const { sql, seen } = counting(db);
  const log = new ImpressionLog(sql, { flushMs: 0, batchRows: 10 });
  for (let i = 1; i <= 25; i++) log.record(impression(i));
  // The 10th and 20th rows started flushes; the second took everything waiting by then.
  await log.flush();
  assert.equal(await stored(db), 25);
  assert.equal(seen.inserts, 2);
  for (let i = 26; i <= 28; i++) log.record(impression(i));
  await log.close();
  assert.equal(await stored(db), 28, "close() flushed the last rows");
});

dbTest("over its bound the log drops impressions and counts them, without waiting", async (db) => {
  const metrics = createMetrics({ defaults: false });
  const log = new ImpressionLog(db, { flushMs: 0, maxRows: 5, batchRows: 1_000, metrics });
  for (let i = 1; i <= 8; i++) log.record(impression(i));
  const dropped = await metrics.impressionsDropped.get();
  assert.deepEqual(dropped.values.map((v) => [v.labels.reason, v.value]), [["full", 3]]);
  await log.close();
  assert.equal(await stored(db), 5);
  assert.equal((await metrics.impressionsWritten.get()).values[0].value, 5);
  log.record(impression(99));
  assert.equal((await metrics.impressionsDropped.get()).values[0].value, 4, "closed: dropped");
});

dbTest("a failed write keeps the batch for the next flush", async (db) => {
  let fail = true;
  const flaky: Sql = {
    query: (text, params) =>
      fail && /impressions/.test(text) ? Promise.reject(new Error("down")) : db.query(text, params),
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
  };
  const log = new ImpressionLog(flaky, { flushMs: 0 });
  log.record(impression(1));
  await log.flush();
  assert.equal(await stored(db), 0);
  fail = false;
  await log.flush();
  assert.equal(await stored(db), 1);
  await log.close();
});

dbTest(
  "answers carry an impression id, and closing the server writes the impressions still in memory",
  async (db) => {
    const f = await servingFixture(db);
    let id: string;
    try {
      const res = await f.app.request("/api/v1/users/1/recommendations?k=5");
      const body = await res.json();
      id = body.impressionId;
      assert.match(id, /^imp-[0-9a-f]{32}$/);
      assert.equal(body.arm, "production");
      assert.equal((await db.query("SELECT 1 FROM impressions WHERE id = $1", [id])).length, 0);
    } finally {
      await f.close();
    }
    const [row] = await db.query<{ user_id: number; movie_ids: number[]; version: number }>(
      "SELECT user_id, movie_ids, version FROM impressions WHERE id = $1",
      [id],
    );
    assert.equal(Number(row.user_id), 1);
    assert.equal(row.movie_ids.length, 5);
    assert.equal(row.version, 1);
  },
);

dbTest(
  "on PGlite a flush inserts at most 64 rows per statement, on PostgreSQL one statement; close() writes all",
  async (db) => {
    const { sql, seen } = counting(db);
    const slice = sliceRowsFor(db.kind);
    assert.equal(slice, db.kind === "pglite" ? PGLITE_SLICE_ROWS : undefined);
    const log = new ImpressionLog(sql, { flushMs: 0, batchRows: 1_000, sliceRows: slice });
    for (let i = 1; i <= 150; i++) log.record(impression(i));
    await log.flush();
    assert.equal(await stored(db), 150);
    assert.deepEqual(seen.sizes, db.kind === "pglite" ? [64, 64, 22] : [150]);
    for (let i = 151; i <= 280; i++) log.record(impression(i));
    await log.close();
    assert.equal(await stored(db), 280, "the shutdown flush wrote every slice");
    assert.deepEqual(
      seen.sizes.slice(db.kind === "pglite" ? 3 : 1),
      db.kind === "pglite" ? [64, 64, 2] : [130],
    );
    assert.deepEqual(await log.find("imp-280"), impression(280));
  },
);

Deno.test("a flush writes slices of sliceRows in order, and a timer waiting meanwhile runs between two of them", async () => {
  const marks: string[] = [];
  const written: number[] = [];
  const buffer = new RowBuffer<number>({
    flushMs: 0,
    batchRows: 1_000,
    sliceRows: 64,
    write: (rows) => {
      marks.push(`write ${rows.length}`);
      written.push(...rows);
      return Promise.resolve();
    },
  });
  const rows = Array.from({ length: 150 }, (_, i) => i + 1);
  for (const r of rows) buffer.add(r);
  const flushing = buffer.flush();
  // Queued after the first statement started: a request's I/O stands in the same queue.
  setTimeout(() => marks.push("timer"), 0);
  await flushing;
  assert.deepEqual(marks, ["write 64", "timer", "write 64", "write 22"]);
  assert.deepEqual(written, rows, "every row, in the order recorded");
  assert.deepEqual([...buffer.pending], []);
  await buffer.close();
});

Deno.test("a failed slice is kept with the slices after it, in order, for the next flush; the slices before it stay written", async () => {
  let calls = 0;
  const written: number[] = [];
  const counted: number[] = [];
  const buffer = new RowBuffer<number>({
    flushMs: 0,
    sliceRows: 2,
    pause: () => Promise.resolve(),
    write: (rows) => {
      if (++calls === 2) return Promise.reject(new Error("down"));
      written.push(...rows);
      return Promise.resolve();
    },
    onWrite: (n) => counted.push(n),
  });
  for (const r of [1, 2, 3, 4, 5]) buffer.add(r);
  await buffer.flush();
  assert.deepEqual(written, [1, 2]);
  assert.deepEqual([...buffer.pending], [3, 4, 5]);
  buffer.add(6);
  await buffer.flush();
  assert.deepEqual(written, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(counted, [2, 2, 2], "only what was stored counts as written");
  await buffer.close();
});

Deno.test("close() writes every slice of the rows recorded before it and refuses rows recorded during it", async () => {
  const written: number[] = [];
  const dropped: string[] = [];
  const buffer = new RowBuffer<number>({
    flushMs: 0,
    batchRows: 1_000,
    sliceRows: 3,
    write: (rows) => {
      written.push(...rows);
      return Promise.resolve();
    },
    onDrop: (reason, n) => dropped.push(`${reason} ${n}`),
  });
  for (let i = 1; i <= 10; i++) buffer.add(i);
  const closing = buffer.close();
  assert.equal(buffer.add(11), false);
  await closing;
  assert.deepEqual(written, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(dropped, ["full 1"]);
});

Deno.test("a batch being written is still found: an outcome right after its impression is never refused", async () => {
  let release!: () => void;
  const written: number[] = [];
  const buffer = new RowBuffer<number>({
    flushMs: 0,
    write: async (rows) => {
      // The first write waits for the test; later ones go straight through.
      if (written.length === 0) await new Promise<void>((r) => (release = r));
      written.push(...rows);
    },
  });
  buffer.add(1);
  buffer.add(2);
  const flushing = buffer.flush();
  buffer.add(3);
  // Rows 1 and 2 left the queue for the database but are not stored yet.
  assert.deepEqual([...buffer.pending], [1, 2, 3]);
  release();
  await flushing;
  assert.deepEqual(written, [1, 2]);
  assert.deepEqual([...buffer.pending], [3]);
  await buffer.close();
  assert.deepEqual(written, [1, 2, 3]);
});

Deno.test("impression ids are 32 hex digits that sort by time, distinct within one millisecond", () => {
  const t = Date.UTC(2026, 11, 6, 12);
  const same = Array.from({ length: 1000 }, () => newImpressionId(t));
  assert.equal(new Set(same).size, 1000, "80 random bits tell ids of one millisecond apart");
  for (const id of same) assert.match(id, /^imp-[0-9a-f]{32}$/);
  const later = newImpressionId(t + 1);
  assert.ok(same.every((id) => id < later), "a later millisecond sorts after every earlier id");
  assert.ok(same.every((id) => id.startsWith("imp-" + t.toString(16).padStart(12, "0"))));
});

dbTest(
  "impressions are indexed by time with BRIN (appends cost the index almost nothing)",
  async (db) => {
    const rows = await db.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'impressions' AND indexdef LIKE '%shown_at%'",
    );
    assert.equal(rows.length, 1);
    assert.match(rows[0].indexdef, /USING brin \(shown_at\)/);
  },
);
