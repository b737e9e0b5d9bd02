/** `deno task snapshot`: list the snapshots in the object store, or restore one into an empty database. */
import { parseFlags, runCli, UsageError } from "./args.ts";
import type { Config } from "../config.ts";
import { openDatabase } from "../db/open.ts";
import { openObjectStore } from "../storage/open.ts";
import { listSnapshots, restoreSnapshot } from "../snapshot/restore.ts";
import { createSnapshot } from "../snapshot/create.ts";

const HELP = `
deno task snapshot — versioned, content-addressed copies of the raw tables in the object store

  list              every snapshot, newest first, with its row counts
  create            snapshot the current tables now (ingest does this after every run)
  restore <id>      restore a snapshot into an EMPTY database (refuses otherwise)
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { positionals } = parseFlags(argv, {});
  const [command, id, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const store = openObjectStore(config);
  if (command === "list") {
    if (id) throw new UsageError(`list takes no argument, got "${id}"`);
    const snaps = await listSnapshots(store);
    if (snaps.length === 0) {
      console.log(`no snapshots in ${store.url}; run \`deno task ingest\` to make one`);
      return;
    }
    for (const s of snaps) {
      const t = s.tables;
      const n = (name: string) => (t[name]?.rows ?? 0).toLocaleString("en-US");
      console.log(
        `${s.id}  ${s.createdAt}  run ${s.ingestRunId ?? "-"}  movies ${n("movies")}  users ${
          n("users")
        }  ` +
          `interactions ${n("interactions")}  rejected ${n("rejected_rows")}`,
      );
    }
  } else if (command === "restore") {
    if (!id) throw new UsageError("restore needs a snapshot id; see `deno task snapshot list`");
    const db = await openDatabase(config);
    try {
      const counts = await restoreSnapshot(db, store, id);
      console.log(
        `restored ${id}: ${
          Object.entries(counts).map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`).join(", ")
        }`,
      );
    } finally {
      await db.close();
    }
  } else if (command === "create") {
    const db = await openDatabase(config);
    try {
      const snap = await createSnapshot(db, store);
      console.log(`snapshot ${snap.id} written to ${store.url}`);
    } finally {
      await db.close();
    }
  } else {
    throw new UsageError(
      command
        ? `unknown command "${command}"; expected list, create or restore`
        : "expected a command: list, create or restore",
    );
  }
}

if (import.meta.main) await runCli(HELP, main);
