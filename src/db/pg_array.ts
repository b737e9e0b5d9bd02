/** PostgreSQL array literals (`{1,"a b",NULL}`): one codec so both backends read and write arrays alike. */

/**
 * Formats one value as array-element text: dates as ISO strings, objects as JSON, booleans as
 * `t`/`f`. `null`/`undefined` return `null` (SQL NULL).
 */
export function formatElement(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Formats a JS array (possibly nested) as a PostgreSQL array literal. Every element but a finite
 * number is quoted, so commas, braces, quotes, backslashes and the word NULL survive; only JS null
 * becomes SQL NULL.
 */
export function formatArrayLiteral(
  values: readonly unknown[],
  format: (value: unknown) => string | null = formatElement,
): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ",";
    if (Array.isArray(v)) out += formatArrayLiteral(v, format);
    // A finite number's text is digits, sign, point and exponent: nothing to quote or escape.
    else if (typeof v === "number" && format === formatElement && Number.isFinite(v)) out += v;
    else {
      const text = format(v);
      if (text === null) out += "NULL";
      else out += '"' + (NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, "\\$&") : text) + '"';
    }
  }
  return out + "}";
}

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

/**
 * Parses a PostgreSQL array literal. Unquoted `NULL` is SQL NULL (→ `null`); a quoted `"NULL"` is the
 * string. `parse` converts each non-null element's text. Dimension decorations (`[1:2]=`) are skipped.
 */
export function parseArrayLiteral<T = unknown>(
  text: string,
  parse: (element: string) => T = (s) => s as unknown as T,
): (T | null)[] {
  let i = text.startsWith("[") ? text.indexOf("=") + 1 : 0;
  if (text[i] !== "{") {
    throw new Error(`expected "{" at ${i} in array literal ${JSON.stringify(text)}`);
  }

  function parseLevel(): unknown[] {
    const out: unknown[] = [];
    i++; // past "{"
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === "{") {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        let s = "";
        i++;
        while (text[i] !== '"') {
          if (text[i] === "\\") i++;
          s += text[i++];
        }
        i++;
        out.push(parse(s));
      } else {
        const start = i;
        while (text[i] !== "," && text[i] !== "}") i++;
        const raw = text.slice(start, i).trim();
        out.push(raw.toUpperCase() === "NULL" ? null : parse(raw));
      }
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return out;
      }
      throw new Error(
        `unexpected ${JSON.stringify(text[i])} at ${i} in array literal ${JSON.stringify(text)}`,
      );
    }
  }
  return parseLevel() as (T | null)[];
}
