/** runIngest(): a failed ingest rethrows its own error even when recording the failure fails too, and logs that. */
import assert from "node:assert/strict";
import { runIngest } from "../../../src/data/ingest_runs.ts";
import type { Database } from "../../../src/db/types.ts";
import { configureLogging } from "../../../src/log.ts";

Deno.test("runIngest() rethrows the ingest's error and logs a failure to record it instead of swallowing it", async () => {
  const db = {
    kind: "postgres",
    query: (text: string) => {
      if (text.startsWith("INSERT INTO ingest_runs")) return Promise.resolve([{ id: 7 }]);
      if (text.includes("SET status = $2")) return Promise.reject(new Error("connection reset"));
      return Promise.resolve([]);
    },
  } as unknown as Database;
  const lines: string[] = [];
  configureLogging({ level: "warn", write: (l) => lines.push(l) });
  try {
    await assert.rejects(
      runIngest(db, { source: "movielens", params: {} }, () => {
        throw new Error("bad CSV on line 3");
      }),
      /bad CSV on line 3/,
    );
  } finally {
    configureLogging({ write: (l) => console.error(l) });
  }
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.level, "error");
  assert.equal(entry.ingest_run_id, 7);
  assert.equal(entry.error.message, "connection reset");
  assert.equal(entry.cause.message, "bad CSV on line 3");
});
