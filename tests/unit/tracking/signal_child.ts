/** Child process for run_signal_test.ts: starts a run that waits forever, printing its id, until a signal arrives. */
import { loadConfig } from "../../../src/config.ts";
import { openDatabase } from "../../../src/db/open.ts";
import { withRun } from "../../../src/tracking/run.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { MemoryObjectStore } from "./support.ts";

const db = await openDatabase(loadConfig());
const store = new SqlTrackingStore(db, { objects: new MemoryObjectStore() });
await withRun(store, async (run) => {
  console.log(run.id);
  // Keeps the event loop alive: the parent ends this process with a signal.
  await new Promise(() => setInterval(() => {}, 60_000));
}, { experiment: "signals", heartbeatMs: 0, exitOnSignal: true });
