/** `deno task runs` smoke tests in a subprocess on an embedded database (PGlite only: the CLI uses the default schema). */
import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { MemoryObjectStore, runCliProcess } from "./support.ts";

const SCRIPT = new URL("../../../src/cli/runs.ts", import.meta.url).pathname;

Deno.test("runs CLI lists and shows runs, and fails on bad input with one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-runs-cli-" });
  try {
    const db = await openDatabase({ dataDir: dir });
    try {
      const store = new SqlTrackingStore(db, { objects: new MemoryObjectStore() });
      await store.createRun({ experiment: "train", id: "run-ok", params: { lr: 0.01 } });
      await store.logMetrics("run-ok", [{ key: "val_ndcg10", value: 0.0712, step: 3 }]);
      await store.endRun("run-ok", { status: "finished" });
      await store.createRun({ experiment: "train", id: "run-bad" });
      await store.endRun("run-bad", { status: "failed", reason: "Error: out of memory" });
    } finally {
      await db.close();
    }

    const list = await runCliProcess(SCRIPT, ["list", "--status", "finished"], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^id\s+experiment\s+name\s+status/);
    assert.match(list.stdout, /run-ok\s+train\s+-\s+finished/);
    assert.doesNotMatch(list.stdout, /run-bad/);

    const show = await runCliProcess(SCRIPT, ["show", "run-bad", "--json"], dir);
    assert.equal(show.code, 0, show.stderr);
    const run = JSON.parse(show.stdout);
    assert.deepEqual([run.status, run.statusReason], ["failed", "Error: out of memory"]);

    const unknown = await runCliProcess(SCRIPT, ["show", "nope"], dir);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: run "nope" does not exist\n');

    const badStatus = await runCliProcess(SCRIPT, ["list", "--status", "done"], dir);
    assert.equal(badStatus.code, 2);
    assert.match(
      badStatus.stderr,
      /^error: --status must be one of running, finished, failed, killed, got "done" \(see --help\)\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
