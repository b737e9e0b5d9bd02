/** searchRuns() on PGlite and PostgreSQL: structured filters, orders and keyset pages. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import type { Database } from "../../../src/db/types.ts";
import { ReelrankError } from "../../../src/errors.ts";
import type { Run, SearchRunsOptions } from "../../../src/tracking/store.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { fakeClock, MemoryObjectStore } from "./support.ts";

/** 12 runs r00..r11, one per minute; even ones in "a", odd in "b"; r03 failed; r11 without metrics. */
async function seed(db: Database): Promise<SqlTrackingStore> {
  const clock = fakeClock();
  const store = new SqlTrackingStore(db, { objects: new MemoryObjectStore(), clock: clock.now });
  for (let i = 0; i < 12; i++) {
    const id = `r${String(i).padStart(2, "0")}`;
    await store.createRun({
      experiment: i % 2 ? "b" : "a",
      id,
      params: { hidden: i < 6 ? 64 : 128 },
      tags: { seed: String(i % 3) },
    });
    // Two runs share each value so ties are broken by id; step 1 holds the latest value.
    if (i !== 11) {
      await store.logMetrics(id, [
        { key: "val_ndcg10", value: 0.5, step: 0 },
        { key: "val_ndcg10", value: Math.floor(i / 2) / 100, step: 1 },
      ]);
    }
    await store.endRun(id, i === 3 ? { status: "failed", reason: "boom" } : { status: "finished" });
    clock.advance(60_000);
  }
  return store;
}

async function all(
  store: SqlTrackingStore,
  opts: SearchRunsOptions,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const page = await store.searchRuns({ ...opts, pageToken });
    ids.push(...page.items.map((r: Run) => r.id));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken);
  return { ids, pages };
}

dbTest(
  "searchRuns() lists newest first by default and pages through every run exactly once",
  async (db) => {
    const store = await seed(db);
    const { ids, pages } = await all(store, { limit: 5 });
    assert.equal(pages, 3);
    assert.deepEqual(ids, [
      "r11",
      "r10",
      "r09",
      "r08",
      "r07",
      "r06",
      "r05",
      "r04",
      "r03",
      "r02",
      "r01",
      "r00",
    ]);
    const first = await store.searchRuns({ limit: 12 });
    assert.equal(first.items.length, 12);
    assert.equal(first.nextPageToken, undefined);
  },
);

dbTest("searchRuns() filters by experiment, status, tag and param together", async (db) => {
  const store = await seed(db);
  const page = await store.searchRuns({
    filter: { experiment: "b", status: "finished", tags: { seed: "0" }, params: { hidden: "128" } },
  });
  assert.deepEqual(page.items.map((r) => r.id), ["r09"]);
  const failed = await store.searchRuns({ filter: { status: ["failed", "killed"] } });
  assert.deepEqual(failed.items.map((r) => [r.id, r.statusReason]), [["r03", "boom"]]);
});

dbTest("searchRuns() compares the latest metric value, not earlier steps", async (db) => {
  const store = await seed(db);
  const page = await store.searchRuns({
    filter: { metrics: [{ metric: "val_ndcg10", op: ">", value: 0.03 }] },
    orderBy: { field: "start_time", direction: "asc" },
  });
  // Latest values are 0.04 (r08, r09) and 0.05 (r10); step 0's 0.5 must not match r00..r07.
  assert.deepEqual(page.items.map((r) => r.id), ["r08", "r09", "r10"]);
  assert.equal(page.items[2].metrics.val_ndcg10, 0.05);
  const eq = await store.searchRuns({
    filter: { metrics: [{ metric: "val_ndcg10", op: "=", value: 0 }] },
  });
  assert.deepEqual(eq.items.map((r) => r.id).sort(), ["r00", "r01"]);
});

dbTest(
  "ordering by a metric pages through ties and missing values without gaps or repeats",
  async (db) => {
    const store = await seed(db);
    const desc = await all(store, {
      orderBy: { metric: "val_ndcg10", direction: "desc" },
      limit: 3,
    });
    assert.equal(desc.pages, 4);
    assert.deepEqual(desc.ids, [
      "r10",
      "r08",
      "r09",
      "r06",
      "r07",
      "r04",
      "r05",
      "r02",
      "r03",
      "r00",
      "r01",
      "r11",
    ]);
    const asc = await all(store, { orderBy: { metric: "val_ndcg10", direction: "asc" }, limit: 4 });
    assert.deepEqual(asc.ids, [
      "r00",
      "r01",
      "r02",
      "r03",
      "r04",
      "r05",
      "r06",
      "r07",
      "r08",
      "r09",
      "r10",
      "r11",
    ]);
  },
);

dbTest("a page token only works with the search that issued it", async (db) => {
  const store = await seed(db);
  const first = await store.searchRuns({ limit: 2, filter: { experiment: "a" } });
  assert.ok(first.nextPageToken);
  await assert.rejects(
    store.searchRuns({ limit: 2, filter: { experiment: "b" }, pageToken: first.nextPageToken }),
    (e: unknown) =>
      e instanceof ReelrankError && e.code === "INVALID_PARAMETER" &&
      /another filter/.test(e.message),
  );
  await assert.rejects(
    store.searchRuns({ pageToken: "garbage!" }),
    (e: unknown) => e instanceof ReelrankError && e.code === "INVALID_PARAMETER",
  );
  await assert.rejects(
    store.searchRuns({ limit: 0 }),
    (e: unknown) =>
      e instanceof ReelrankError && /limit must be an integer in 1\.\.1000, got 0/.test(e.message),
  );
});
