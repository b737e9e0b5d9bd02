/** The visitor's choice of where their movies are ranked: in this browser (their history stays) or on the server. */

/** Where a visitor's movies are ranked: here, or on the server (the history is sent). */
export type Where = "browser" | "server";

/** The tick box and what it means; disabled, with the reason, when this browser cannot rank. */
export function RankingChoice(
  { where, unsupported, onChoose }: {
    where: Where;
    unsupported: string | null;
    onChoose: (where: Where) => void;
  },
) {
  return (
    <p class="scoring">
      <label>
        <input
          type="checkbox"
          name="in-browser"
          checked={where === "browser"}
          disabled={unsupported !== null}
          onChange={(e) => onChoose(e.currentTarget.checked ? "browser" : "server")}
        />{" "}
        Rank in this browser
      </label>
      <span class="note">
        {unsupported
          ? `Ranked on the server: ${unsupported}.`
          : where === "browser"
          ? "Your history never leaves this page: the model is downloaded once, checked by its sha256 and kept."
          : "Your history is sent to the server to rank it."}
      </span>
    </p>
  );
}
