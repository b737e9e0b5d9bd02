/** The admin token, entered once per tab session and kept in sessionStorage; no form, so it can never end up in a URL. */
import { useEffect, useState } from "preact/hooks";
import { adminToken, TOKEN_KEY } from "../client/api.ts";

/** The token box island (no props). */
export default function TokenBox(_: Record<string, unknown>) {
  const [saved, setSaved] = useState(false);
  const [draft, setDraft] = useState("");
  useEffect(() => setSaved(adminToken() !== null), []);
  const save = () => {
    if (!draft.trim()) return;
    sessionStorage.setItem(TOKEN_KEY, draft.trim());
    setDraft("");
    setSaved(true);
  };
  if (saved) {
    return (
      <div class="token">
        <span role="status">Admin token saved for this tab.</span>{" "}
        <button
          type="button"
          onClick={() => {
            sessionStorage.removeItem(TOKEN_KEY);
            setSaved(false);
          }}
        >
          Forget the token
        </button>
      </div>
    );
  }
  return (
    <div class="token">
      <label>
        Admin token{" "}
        <input
          type="password"
          autocomplete="off"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && save()}
        />
      </label>{" "}
      <button type="button" onClick={save}>Use this token</button>
      <span class="muted">
        Kept in this tab only; printed by <code>deno task serve</code>.
      </span>
    </div>
  );
}
