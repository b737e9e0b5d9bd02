/** `deno task snapshot`: list the snapshots in the object store, or restore one into an empty database. */
import { parseFlags, runCli, UsageError } from "./args.ts";
import type { Config } from "../config.ts";
import { openContext, openStorageContext } from "../context.ts";
import { listSnapshots, restoreSnapshot } from "../snapshot/restore.ts";
import { createSnapshot } from "../snapshot/create.ts";
import type { ObjectStore } from "../storage/object_store.ts";

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
  if (command === "list") {
    if (id) throw new UsageError(`list takes no argument, got "${id}"`);
    // Listing reads only the object store: no database, so no PGlite lock.
    const storage = openStorageContext(config);
    try {
      await list(storage.objects);
    } finally {
      await storage.close();
    }
  } else if (command === "restore" || command === "create") {
    if (command === "restore" && !id) {
      throw new UsageError("restore needs a snapshot id; see `deno task snapshot list`");
    }
    if (command === "create" && id) throw new UsageError(`create takes no argument, got "${id}"`);
    const ctx = await openContext(config);
    try {
      if (command === "restore") {
        const counts = await restoreSnapshot(ctx.db, ctx.objects, id);
        console.log(
          `restored ${id}: ${
            Object.entries(counts).map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`).join(", ")
          }`,
        );
      } else {
        const snap = await createSnapshot(ctx.db, ctx.objects);
        console.log(`snapshot ${snap.id} written to ${ctx.objects.url}`);
      }
    } finally {
      await ctx.close();
    }
  } else {
    throw new UsageError(
      command
        ? `unknown command "${command}"; expected list, create or restore`
        : "expected a command: list, create or restore",
    );
  }
}

async function list(store: ObjectStore): Promise<void> {
  const snaps = await listSnapshots(store);
  if (snaps.length === 0) {
    console.log(`no snapshots in ${store.url}; run \`deno task ingest\` to make one`);
    return;
  }
  for (const s of snaps) {
    const n = (name: string) => (s.tables[name]?.rows ?? 0).toLocaleString("en-US");
    console.log(
      `${s.id}  ${s.createdAt}  run ${s.ingestRunId ?? "-"}  movies ${n("movies")}  ` +
        `users ${n("users")}  interactions ${n("interactions")}  rejected ${n("rejected_rows")}`,
    );
  }
}

if (import.meta.main) await runCli(HELP, main);
