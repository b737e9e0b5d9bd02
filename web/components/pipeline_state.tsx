/** Pipeline states on pages: their words, their colour class, and a legend (colours like Airflow's). */
import type { TaskStatus } from "../../src/pipeline/store.ts";

/** What each task state means, in a few words. */
export const STATE_LABEL: Record<TaskStatus | "queued", string> = {
  queued: "queued",
  pending: "not run yet",
  running: "running",
  up_for_retry: "waiting to retry",
  success: "success",
  failed: "failed",
  upstream_failed: "upstream failed",
  reused: "reused from an earlier run",
};

/** The class that colours a state (cells, badges, SVG shapes). */
export function stateClass(state: string): string {
  return `state state-${state.replaceAll("_", "-")}`;
}

/** The colours of the task states. */
export function StateLegend() {
  return (
    <ul class="legend" aria-label="Task states">
      {Object.entries(STATE_LABEL).filter(([s]) => s !== "queued").map(([s, label]) => (
        <li key={s}>
          <span class={`swatch ${stateClass(s)}`} aria-hidden="true" /> {label}
        </li>
      ))}
    </ul>
  );
}
