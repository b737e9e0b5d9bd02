/** Pipeline runs in a terminal: a line per task state change (and its log lines) as it runs, a table at the end. */
import type { RunEvent } from "../pipeline/runner.ts";
import type { Attempt, PipelineRun, TaskState } from "../pipeline/store.ts";
import { formatTable } from "./table.ts";

const MARK: Record<string, string> = {
  pending: " ",
  running: "▸",
  up_for_retry: "↻",
  success: "✓",
  failed: "✗",
  upstream_failed: "–",
  reused: "=",
};

/** "4.2 s", "3 min 05 s". */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return "-";
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
}

/** How long a task took, first attempt to last (retry waits included), or null. */
export function taskSeconds(t: TaskState): number | null {
  return t.startedAt && t.endedAt ? (t.endedAt.getTime() - t.startedAt.getTime()) / 1000 : null;
}

/** One character per task state, e.g. `✓✓✓✗––––` (list views). */
export function stateMarks(run: PipelineRun): string {
  return run.tasks.map((t) => MARK[t.status] ?? "?").join("");
}

/**
 * Prints a run's progress through `write`: a line when a task starts, ends, waits for a retry or
 * is skipped, and its info lines indented beneath while it runs. Quiet prints nothing.
 */
export function progressPrinter(
  options: { quiet: boolean; write?: (line: string) => void },
): (e: RunEvent) => void {
  const write = options.write ?? ((line: string) => console.log(line));
  if (options.quiet) return () => {};
  const name = (id: string) => id.padEnd(9);
  return (e) => {
    if (e.type === "run") {
      if (e.status === "running") write(`run ${e.runId}`);
      return;
    }
    if (e.type === "log") {
      if (e.line.level !== "debug") write(`      ${e.line.message}`);
      return;
    }
    const m = MARK[e.status] ?? "?";
    switch (e.status) {
      case "running":
        write(`  ${m} ${name(e.taskId)} running${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}…`);
        break;
      case "success":
        write(`  ${m} ${name(e.taskId)} ${seconds(e.seconds)}`);
        break;
      case "up_for_retry":
        write(
          `  ${m} ${name(e.taskId)} attempt ${e.attempt} failed: ${e.error}; retrying in ${
            seconds((e.retryInMs ?? 0) / 1000)
          }`,
        );
        break;
      case "failed":
        write(`  ${m} ${name(e.taskId)} failed after ${e.attempt} attempt(s): ${e.error}`);
        break;
      case "reused":
        write(`  ${m} ${name(e.taskId)} reused from the earlier run`);
        break;
      case "upstream_failed":
        write(`  ${m} ${name(e.taskId)} not run (an upstream task failed)`);
        break;
    }
  };
}

/** The run's tasks with state, attempts and duration, and the run's own duration. */
export function formatRunSummary(run: PipelineRun, attempts: readonly Attempt[] = []): string {
  const errors = attempts.some((a) => a.error);
  const rows = run.tasks.map((t) => {
    const last = attempts.filter((a) => a.taskId === t.taskId).at(-1);
    const row = [
      t.taskId,
      t.status,
      String(t.tries),
      t.status === "reused" ? "reused" : seconds(taskSeconds(t)),
    ];
    return errors ? [...row, last?.error?.slice(0, 100) ?? ""] : row;
  });
  const total = run.startedAt && run.endedAt
    ? (run.endedAt.getTime() - run.startedAt.getTime()) / 1000
    : null;
  const headers = ["task", "status", "tries", "duration", ...(errors ? ["last error"] : [])];
  return [
    formatTable(headers, rows),
    `run ${run.id}: ${run.status}${total === null ? "" : ` in ${seconds(total)}`}${
      run.statusReason ? ` — ${run.statusReason}` : ""
    }`,
  ].join("\n");
}
