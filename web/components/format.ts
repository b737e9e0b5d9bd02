/** Formatting for pages: metric values, dates, durations, byte sizes. */

/** A metric value with four significant decimals for scores, integers as integers. */
export function metric(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

/** A UTC date and time, minutes precision: "2026-01-01 12:30 UTC" (with no-break spaces). */
export function when(d: Date | null | undefined): string {
  // No-break spaces: a date never wraps inside a table cell.
  return d ? `${d.toISOString().slice(0, 16).replace("T", "\u00a0")}\u00a0UTC` : "—";
}

/** Seconds between two dates as "1 h 02 min", "3 min 05 s" or "4.2 s". */
export function duration(from: Date, to: Date | null): string {
  if (!to) return "—";
  const s = (to.getTime() - from.getTime()) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** Bytes as KB/MB with one decimal. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A run's name, or "run <first 8 of its id>" when it has none. */
export function runLabel(run: { id: string; name: string }): string {
  return run.name || `run ${run.id.slice(0, 8)}`;
}
