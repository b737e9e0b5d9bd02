/** Plain-text tables for CLI output: left-aligned text, right-aligned numbers, one header rule. */

/** A cell: numbers are right-aligned; null and undefined print as "-". */
export type Cell = string | number | null | undefined;

/** Formats `rows` under `headers` as aligned columns separated by two spaces. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) =>
    r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c)))
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) =>
    rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] == null)
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n");
}
