/** Start a pipeline run (or re-run a finished one from a task) through the admin API with this tab's token; then open the new run's page. */
import { useState } from "preact/hooks";
import { adminToken, apiJson, postJson } from "../client/api.ts";

/** Plain-JSON props: the DAG, and for a re-run the finished run and its tasks. */
export interface TriggerButtonProps extends Record<string, unknown> {
  dag: string;
  from: { runId: string; tasks: string[]; selected: string } | null;
}

/** The button island. */
export default function TriggerButton(props: TriggerButtonProps) {
  const [task, setTask] = useState(props.from?.selected ?? "");
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  async function start() {
    const token = adminToken();
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    setBusy(true);
    try {
      const body = props.from
        ? { dag: props.dag, trigger: "manual", from: { runId: props.from.runId, taskId: task } }
        : { dag: props.dag, trigger: "manual" };
      const run = await apiJson<{ id: string }>("/api/v1/pipeline/runs", postJson(body, auth));
      setMessage(`Run ${run.id} started.`);
      location.assign(`/admin/pipeline/runs/${encodeURIComponent(run.id)}`);
    } catch (err) {
      setMessage(
        `Refused: ${(err as Error).message}${token ? "" : " (enter the admin token above)"}`,
      );
      setBusy(false);
    }
  }
  return (
    <span class="trigger">
      {props.from
        ? (
          <label>
            Re-run from{" "}
            <select value={task} onChange={(e) => setTask(e.currentTarget.value)} disabled={busy}>
              {props.from.tasks.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
        )
        : null}{" "}
      <button type="button" onClick={start} disabled={busy}>
        {props.from ? "Re-run" : "Trigger a run"}
      </button>
      <span class="status" role="status">{message}</span>
    </span>
  );
}
