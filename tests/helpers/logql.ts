/**
 * The subset of LogQL the dashboards use, parsed and run over log lines as promtail ships them
 * (labels job, role, level; the JSON line for `| json`): a stream selector, `| json`, label
 * filters, an optional range aggregation with `by (…)`. Anything outside the subset is an error,
 * so a dashboard cannot use a query this checker does not understand.
 */

/** A label or field matcher. */
export interface Matcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

/** A parsed query. */
export interface LogQuery {
  selector: Matcher[];
  json: boolean;
  filters: Matcher[];
  /** Labels of `sum by (…)` around a range aggregation, if any. */
  by: string[];
}

/** One shipped line: promtail's labels and the raw JSON line. */
export interface ShippedLine {
  labels: Record<string, string>;
  line: string;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

function matcher(text: string, where: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`${where}: "${text.trim()}" is not a LogQL matcher this checker knows`);
  return { name: m[1], op: m[2] as Matcher["op"], value: JSON.parse(`"${m[3]}"`) };
}

/** The `|`-separated stages after the selector (a `|` inside quotes belongs to its string). */
function splitStages(text: string): string[] {
  const stages: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && quoted) {
      cur += ch + text[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === "|" && !quoted) {
      stages.push(cur);
      cur = "";
    } else cur += ch;
  }
  stages.push(cur);
  return stages.map((s) => s.trim()).filter((s, i) => i > 0 || s !== "");
}

/** Parses `expr`; throws naming the part it does not understand. */
export function parseLogQL(expr: string): LogQuery {
  let rest = expr.trim();
  let by: string[] = [];
  const agg = /^sum by \(([^)]*)\) \(count_over_time\(([\s\S]*) \[\d+[smhd]\]\)\)$/.exec(rest);
  if (agg) {
    by = agg[1].split(",").map((s) => s.trim());
    rest = agg[2];
  }
  const sel = /^\{([^}]*)\}([\s\S]*)$/.exec(rest);
  if (!sel) throw new Error(`"${expr}": no stream selector`);
  const selector = sel[1].split(",").map((s) => matcher(s, expr));
  const stages = splitStages(sel[2]);
  let json = false;
  const filters: Matcher[] = [];
  for (const stage of stages) {
    if (stage === "json") json = true;
    else if (json) filters.push(matcher(stage, expr));
    else throw new Error(`"${expr}": stage "${stage}" before | json is not supported`);
  }
  return { selector, json, filters, by };
}

/** Loki's json stage: nested objects flattened with `_` (`error.name` → `error_name`). */
export function jsonFields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, prefix: string) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}_${k}` : k);
    } else out[prefix] = typeof v === "string" ? v : JSON.stringify(v);
  };
  walk(JSON.parse(line), "");
  return out;
}

function matches(m: Matcher, values: Record<string, string>): boolean {
  const v = values[m.name] ?? "";
  if (m.op === "=") return v === m.value;
  if (m.op === "!=") return v !== m.value;
  const re = new RegExp(`^(?:${m.value})$`);
  return m.op === "=~" ? re.test(v) : !re.test(v);
}

/** The lines `q` selects (after its filters). */
export function select(q: LogQuery, lines: readonly ShippedLine[]): ShippedLine[] {
  return lines.filter((l) => {
    if (!q.selector.every((m) => matches(m, l.labels))) return false;
    const values = q.json ? { ...jsonFields(l.line), ...l.labels } : l.labels;
    return q.filters.every((m) => matches(m, values));
  });
}
