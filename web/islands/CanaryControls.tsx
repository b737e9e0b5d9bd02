/** The canary from the registry page: set the share served by staging (and the shadow share), stop it, judge it by the rule, or promote staging; with this tab's admin token. */
import { useState } from "preact/hooks";
import { adminToken, apiJson, postJson } from "../client/api.ts";

/** Plain-JSON props: the staging version and the current shares. */
export interface CanaryControlsProps extends Record<string, unknown> {
  stagingVersion: number;
  share: number;
  shadowShare: number;
}

/** The controls island. */
export default function CanaryControls(props: CanaryControlsProps) {
  const [share, setShare] = useState(String(Math.round(props.share * 100)));
  const [shadow, setShadow] = useState(String(Math.round(props.shadowShare * 100)));
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);

  async function call(path: string, init: RequestInit, done: (body: unknown) => string) {
    const token = adminToken();
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    setBusy(true);
    try {
      const body = await apiJson(path, { ...init, headers: { ...init.headers, ...auth } });
      setMessage(done(body));
      location.reload();
    } catch (err) {
      setMessage(
        `Refused: ${(err as Error).message}${token ? "" : " (enter the admin token above)"}`,
      );
      setBusy(false);
    }
  }

  const set = () =>
    call(
      "/api/v1/online/canary",
      {
        ...postJson({ share: Number(share) / 100, shadowShare: Number(shadow) / 100 }),
        method: "PUT",
      },
      () => `Staging now serves ${share} % (shadow ${shadow} %).`,
    );
  return (
    <form
      class="canary-controls"
      onSubmit={(e) => {
        e.preventDefault();
        set();
      }}
    >
      <label>
        Canary %{" "}
        <input
          type="number"
          min="0"
          max="100"
          step="1"
          name="share"
          value={share}
          onInput={(e) => setShare(e.currentTarget.value)}
        />
      </label>{" "}
      <label>
        Shadow %{" "}
        <input
          type="number"
          min="0"
          max="100"
          step="1"
          name="shadow"
          value={shadow}
          onInput={(e) => setShadow(e.currentTarget.value)}
        />
      </label>{" "}
      <button type="submit" disabled={busy}>Set</button>{" "}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          call("/api/v1/online/canary", { method: "DELETE" }, () => "Canary and shadow stopped.")}
      >
        Stop
      </button>{" "}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          call(
            "/api/v1/online/canary/evaluate",
            postJson({}),
            (b) => (b as { reason: string }).reason,
          )}
      >
        Apply the rule
      </button>{" "}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          call(
            "/api/v1/online/canary/promote",
            postJson({}),
            () => `Version ${props.stagingVersion} is production now.`,
          )}
      >
        Promote staging (v{props.stagingVersion})
      </button>
      <span class="status" role="status">{message}</span>
    </form>
  );
}
