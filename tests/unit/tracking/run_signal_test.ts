/** withRun({ exitOnSignal }) in a real process: SIGTERM marks the run failed instead of leaving it running. */
import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { MemoryObjectStore } from "./support.ts";

const CHILD = new URL("./signal_child.ts", import.meta.url).pathname;

Deno.test({
  name: "a run whose process receives SIGTERM ends up failed with the signal as reason",
  ignore: Deno.build.os === "windows", // no SIGTERM listeners there; the heartbeat reaper covers it
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "reelrank-signal-" });
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CHILD],
        env: { REELRANK_DATA_DIR: dir, DATABASE_URL: "", LOG_LEVEL: "error" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // The first stdout line is the run id, printed once the run exists.
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const runId = out.trim();
      assert.ok(runId, "the child printed no run id");
      child.kill("SIGTERM");
      const status = await child.status;
      await reader.cancel();
      await child.stderr.cancel();
      assert.equal(status.code, 143);

      const db = await openDatabase({ dataDir: dir });
      try {
        const run = await new SqlTrackingStore(db, { objects: new MemoryObjectStore() }).getRun(
          runId,
        );
        assert.deepEqual([run.status, run.statusReason], ["failed", "killed by SIGTERM"]);
      } finally {
        await db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
