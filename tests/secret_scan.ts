/**
 * CI's secret scan of a whole test suite: the suite's output and every log line it produced
 * (REELRANK_LOG_FILE) must carry none of the test secrets, raw, URL-encoded or base64.
 *
 *   deno run --allow-read tests/secret_scan.ts --logs LOG_FILE [--min-lines N] [OUTPUT_FILE …]
 *
 * Exit 0 when clean; 1 with one line naming the secrets (never their values) and where they are,
 * or when the log file holds fewer than N JSON log lines (a scan of nothing proves nothing); 2 for
 * a usage error.
 */
import { parseArgs } from "node:util";
import { TEST_SECRETS } from "./helpers/secrets.ts";

/** How a secret can appear in text. */
export type Form = "raw" | "json" | "url" | "base64" | "base64url";

/** One secret found. */
export interface Finding {
  /** The secret's name in tests/helpers/secrets.ts. */
  name: string;
  form: Form;
  /** 1-based line of `file`. */
  line: number;
  file: string;
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The base64 texts `secret` becomes inside any longer encoded value: one per alignment (0, 1 or 2
 * bytes before it in its 3-byte groups), keeping only the characters that depend on the secret
 * alone — a Basic `user:password` header hides the password at an alignment of its own.
 */
export function base64Forms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const out: string[] = [];
  for (const shift of [0, 1, 2]) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    const whole = Math.floor(padded.length / 3) * 4;
    // The first group mixes in the bytes before the secret, the last partial one those after it.
    const text = base64(padded).slice(shift === 0 ? 0 : 4, whole);
    if (text.length >= 8) out.push(text);
  }
  return out;
}

/** Every form of `secret` the scan looks for. */
export function secretForms(secret: string): { form: Form; text: string }[] {
  const forms: { form: Form; text: string }[] = [{ form: "raw", text: secret }];
  // Inside a JSON log line a quote or a backslash is escaped.
  const json = JSON.stringify(secret).slice(1, -1);
  if (json !== secret) forms.push({ form: "json", text: json });
  const url = encodeURIComponent(secret);
  if (url !== secret) forms.push({ form: "url", text: url });
  for (const text of base64Forms(secret)) {
    forms.push({ form: "base64", text });
    const urlSafe = text.replaceAll("+", "-").replaceAll("/", "_");
    if (urlSafe !== text) forms.push({ form: "base64url", text: urlSafe });
  }
  return forms;
}

/** Where any of `secrets` (name → value) appears in `text`, line by line. */
export function findSecrets(
  text: string,
  secrets: Readonly<Record<string, string>>,
  options: { file?: string } = {},
): Finding[] {
  const forms = Object.entries(secrets).flatMap(([name, value]) =>
    secretForms(value).map((f) => ({ name, ...f }))
  );
  const found: Finding[] = [];
  text.split("\n").forEach((content, i) => {
    for (const f of forms) {
      if (content.includes(f.text)) {
        found.push({ name: f.name, form: f.form, line: i + 1, file: options.file ?? "-" });
      }
    }
  });
  return found;
}

/** Lines of `text` that are reelrank log lines (JSON with level, module and msg). */
export function countLogLines(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const o = JSON.parse(line);
      if (typeof o.level === "string" && typeof o.module === "string" && "msg" in o) n++;
    } catch {
      // not a log line
    }
  }
  return n;
}

const USAGE =
  "usage: deno run --allow-read tests/secret_scan.ts --logs LOG_FILE [--min-lines N] [OUTPUT_FILE …]";

/** The scan as a command: its exit code and its one line. */
export async function scan(
  args: string[],
  secrets: Readonly<Record<string, string>> = TEST_SECRETS,
): Promise<{ code: number; message: string }> {
  const options = {
    logs: { type: "string" },
    "min-lines": { type: "string", default: "100" },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true });
  } catch (err) {
    return { code: 2, message: `${(err as Error).message}; ${USAGE}` };
  }
  const { logs } = parsed.values;
  const minLines = Number(parsed.values["min-lines"]);
  if (!logs) return { code: 2, message: `--logs is required; ${USAGE}` };
  if (!Number.isInteger(minLines) || minLines < 0) {
    return {
      code: 2,
      message: `--min-lines must be a whole number >= 0, got "${parsed.values["min-lines"]}"`,
    };
  }
  const findings: Finding[] = [];
  let logLines = 0;
  for (const file of [logs, ...parsed.positionals]) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      return { code: 1, message: `secret scan: cannot read ${file}: ${(err as Error).message}` };
    }
    if (file === logs) logLines = countLogLines(text);
    findings.push(...findSecrets(text, secrets, { file }));
  }
  if (findings.length) {
    const where = findings.slice(0, 10).map((f) => `${f.name} (${f.form}) at ${f.file}:${f.line}`);
    const more = findings.length > 10 ? `, and ${findings.length - 10} more` : "";
    return {
      code: 1,
      message: `secret scan: ${findings.length} test secret(s) found: ${where.join("; ")}${more}`,
    };
  }
  if (logLines < minLines) {
    return {
      code: 1,
      message:
        `secret scan: ${logs} holds ${logLines} log lines, expected at least ${minLines}; was REELRANK_LOG_FILE set for the tests?`,
    };
  }
  const files = parsed.positionals.length;
  return {
    code: 0,
    message: `secret scan: no test secret in ${logLines} log lines and ${files} output file(s)`,
  };
}

if (import.meta.main) {
  const { code, message } = await scan(Deno.args);
  (code === 0 ? console.log : console.error)(message);
  Deno.exit(code);
}
