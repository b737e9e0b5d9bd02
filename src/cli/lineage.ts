/** Lineage for a run: the code version (git commit) and the newest data snapshot. */
import type { Sql } from "../db/types.ts";

/** The current git commit, or "unknown" outside a checkout or without git. */
export async function gitCommit(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/** Id of the newest snapshot, if any. */
export async function latestSnapshotId(db: Sql): Promise<string | undefined> {
  const [row] = await db.query<{ id: string }>(
    "SELECT id FROM snapshots ORDER BY created_at DESC, id DESC LIMIT 1",
  );
  return row?.id;
}
