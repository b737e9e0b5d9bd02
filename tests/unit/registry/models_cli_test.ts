/** `deno task models` smoke tests in a subprocess on an embedded database (PGlite only: the CLI uses the default schema). */
import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { MemoryObjectStore, runCliProcess } from "../tracking/support.ts";

const SCRIPT = new URL("../../../src/cli/models.ts", import.meta.url).pathname;

async function seeded(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-models-cli-" });
  const db = await openDatabase({ dataDir: dir });
  try {
    const objects = new MemoryObjectStore();
    const run = await new SqlTrackingStore(db, { objects }).createRun({
      experiment: "train",
      id: "run-abc",
    });
    const registry = new SqlModelRegistry(db, { objects });
    const bytes = (s: string) => new TextEncoder().encode(s);
    await registry.registerVersion("reelrank", {
      artifact: bytes("a"),
      runId: run.id,
      metrics: { val_ndcg10: 0.05 },
    });
    await registry.registerVersion("reelrank", {
      artifact: bytes("b"),
      metrics: { val_ndcg10: 0.04, test_ndcg10: 0.07 },
    });
    await registry.promoteIfBetter("reelrank", 1);
  } finally {
    await db.close();
  }
  return dir;
}

Deno.test("models CLI lists, promotes and rolls back, and fails on bad input with one line", async () => {
  const dir = await seeded();
  try {
    const list = await runCliProcess(SCRIPT, ["list"], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^version\s+aliases\s+family\s+val_ndcg10/);
    assert.match(list.stdout, /\n\s+1\s+production\s+-\s+0\.05\s+-\s+run-abc/);

    const promote = await runCliProcess(SCRIPT, ["promote", "2", "--json"], dir);
    assert.equal(promote.code, 0, promote.stderr);
    assert.deepEqual(
      (({ alias, fromVersion, toVersion, kind }) => ({ alias, fromVersion, toVersion, kind }))(
        JSON.parse(promote.stdout),
      ),
      { alias: "production", fromVersion: 1, toVersion: 2, kind: "promote" },
    );

    const rollback = await runCliProcess(SCRIPT, ["rollback"], dir);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /production of "reelrank": version 2 → 1/);

    const unknown = await runCliProcess(SCRIPT, ["promote", "9"], dir);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim().split("\n").length, 1, unknown.stderr);
    assert.match(unknown.stderr, /^error: model "reelrank" has no version 9; versions are 1\.\.2/);

    const badFlag = await runCliProcess(SCRIPT, ["list", "--bogus"], dir);
    assert.equal(badFlag.code, 2);
    assert.equal(badFlag.stderr.trim().split("\n").length, 1, badFlag.stderr);
    assert.match(badFlag.stderr, /--bogus.*\(see --help\)/);

    const badVersion = await runCliProcess(SCRIPT, ["promote", "two"], dir);
    assert.equal(badVersion.code, 2);
    assert.match(
      badVersion.stderr,
      /^error: promote VERSION must be an integer ≥ 1, got "two" \(see --help\)\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
