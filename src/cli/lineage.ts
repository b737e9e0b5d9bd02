/** Lineage for a run: the code version (git commit) and the newest data snapshot. */
export { latestSnapshotId } from "../data/queries.ts";

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
