/** What monitoring/ asks of the metrics and logs: every PromQL and LogQL expression in the dashboards and the alert rules, and the metric names a PromQL expression reads. */
import { parse } from "yaml";
import { dashboardJson, DASHBOARDS } from "../../monitoring/grafana/dashboards.ts";

export const MONITORING = new URL("../../monitoring/", import.meta.url).pathname;

/** One query with where it comes from. */
export interface Query {
  where: string;
  expr: string;
  lang: "promql" | "logql";
}

interface Panel {
  id: number;
  title: string;
  datasource: { type: string; uid: string };
  targets: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
}

/** The dashboard files as Grafana reads them. */
export async function dashboardFiles(): Promise<
  { file: string; json: { uid: string; panels: Panel[] } }[]
> {
  const out = [];
  for (const uid of Object.keys(DASHBOARDS)) {
    const file = `grafana/dashboards/${uid}.json`;
    out.push({ file, json: JSON.parse(await Deno.readTextFile(`${MONITORING}${file}`)) });
  }
  return out;
}

/** Every expression of the dashboards (from the files) and of the alert rules. */
export async function allQueries(): Promise<Query[]> {
  const out: Query[] = [];
  for (const { file, json } of await dashboardFiles()) {
    for (const p of json.panels) {
      for (const t of p.targets) {
        out.push({
          where: `${file} "${p.title}" ${t.refId}`,
          expr: t.expr,
          lang: t.datasource.type === "loki" ? "logql" : "promql",
        });
      }
    }
  }
  const rules = parse(await Deno.readTextFile(`${MONITORING}alerts.yml`)) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules)) {
    out.push({ where: `alerts.yml ${r.alert}`, expr: r.expr.trim(), lang: "promql" });
  }
  return out;
}

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "and",
  "or",
  "unless",
  "inf",
  "nan",
]);

/** The metric names a PromQL expression reads (functions, labels, durations and strings removed). */
export function metricNames(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  s = s.replace(/\{[^}]*\}/g, " ").replace(/\[[^\]]*\]/g, " ");
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  s = s.replace(/\boffset\s+\w+/g, " ");
  const names = new Set<string>();
  for (const m of s.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names];
}

/** The exported family a series name belongs to (histogram series end in _bucket, _sum, _count). */
export function family(name: string, known: ReadonlySet<string>): string | null {
  if (known.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return known.has(base) ? base : null;
}

/** Regenerates a dashboard from monitoring/grafana/dashboards.ts. */
export { dashboardJson };
