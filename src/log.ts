/** JSON-lines logging: level, time, module, message and ids; secrets are scrubbed before writing. */
import { logCaptureFile, type LogLevel } from "./config.ts";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const SECRET_KEY = /(api[_-]?key|token|secret|password|authorization)/i;

/** A module's logger: `fields` carry ids (request_id, run_id, task_id) and values. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `fields` (e.g. a run id). */
  child(fields: Record<string, unknown>): Logger;
  /** Whether lines of `level` are written (to skip building fields on a hot path). */
  enabled(level: LogLevel): boolean;
}

interface Sink {
  level: LogLevel;
  secrets: string[];
  write: (line: string) => void;
  /** A file that gets every line, at every level, as written (REELRANK_LOG_FILE). */
  capture: string | null;
}

const sink: Sink = {
  level: "info",
  secrets: [],
  write: (line) => console.error(line),
  capture: logCaptureFile() ?? null,
};

/**
 * Sets the level, the secret values to scrub, optionally where lines go (tests capture them), and
 * the capture file (`null`: none).
 */
export function configureLogging(
  opts: {
    level?: LogLevel;
    secrets?: string[];
    write?: (line: string) => void;
    capture?: string | null;
  },
): void {
  if (opts.level) sink.level = opts.level;
  if (opts.secrets) sink.secrets = opts.secrets.filter((s) => s.length >= 4);
  if (opts.write) sink.write = opts.write;
  if (opts.capture !== undefined) sink.capture = opts.capture;
}

/** Appends `line` to the capture file; a file that cannot be written turns the capture off, once. */
function capture(line: string): void {
  try {
    Deno.writeTextFileSync(sink.capture!, line + "\n", { append: true });
  } catch (err) {
    console.error(
      `REELRANK_LOG_FILE: cannot append to "${sink.capture}" (${(err as Error).message}); ` +
        "log lines are no longer captured",
    );
    sink.capture = null;
  }
}

/** Replaces every configured secret value in `text` with `***`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of sink.secrets) out = out.split(s).join("***");
  return out;
}

/** Fields as they are written: values of secret-named keys hidden, errors reduced to name and message. */
export function cleanFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = "***";
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else out[k] = v;
  }
  return out;
}

/** Gets a module's logger once, at module level: `const log = getLogger("data/tmdb")`. */
export function getLogger(module: string, base: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const shown = ORDER[level] >= ORDER[sink.level];
    if (!shown && sink.capture === null) return;
    const line = scrub(JSON.stringify({
      level,
      time: new Date().toISOString(),
      module,
      msg,
      ...cleanFields(base),
      ...(fields ? cleanFields(fields) : {}),
    }));
    if (sink.capture !== null) capture(line);
    if (shown) sink.write(line);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (f) => getLogger(module, { ...base, ...f }),
    enabled: (level) => ORDER[level] >= ORDER[sink.level],
  };
}
