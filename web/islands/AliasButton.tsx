/** Promote a version, or roll production back, through the admin API with this tab's token; the page reloads to show the move. */
import { useState } from "preact/hooks";
import { adminToken, apiJson, postJson } from "../client/api.ts";

/** Plain-JSON props: promote `version`, or roll back (to the previous production version). */
export interface AliasButtonProps extends Record<string, unknown> {
  action: "promote" | "rollback";
  version: number | null;
}

/** The button island. */
export default function AliasButton(props: AliasButtonProps) {
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const label = props.action === "promote"
    ? `Promote version ${props.version}`
    : "Roll back production";
  async function run() {
    const token = adminToken();
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    setBusy(true);
    try {
      const change = await apiJson<{ toVersion: number | null }>(
        props.action === "promote"
          ? `/api/v1/models/${props.version}/promote`
          : "/api/v1/models/rollback",
        postJson({}, auth),
      );
      setMessage(`Production is now version ${change.toVersion}.`);
      location.reload();
    } catch (err) {
      setMessage(
        `Refused: ${(err as Error).message}${token ? "" : " (enter the admin token above)"}`,
      );
      setBusy(false);
    }
  }
  return (
    <span class="alias-action">
      <button type="button" onClick={run} disabled={busy}>{label}</button>
      <span class="status" role="status">{message}</span>
    </span>
  );
}
