/** A task attempt's logger: each line goes to the process log and, batched, to the attempt's stored log. */
import { cleanFields, getLogger, type Logger, scrub } from "../log.ts";
import type { Json } from "./dag.ts";
import type { LogLine, PipelineStore } from "./store.ts";

const log = getLogger("pipeline/task_log");

/** A logger bound to one attempt, and how to make sure its lines are stored. */
export interface AttemptLog {
  log: Logger;
  /** Writes the lines still buffered; resolves when they are stored (errors are logged, not thrown). */
  flush(): Promise<void>;
}

/** Options of {@link attemptLogger}. */
export interface AttemptLogOptions {
  store: PipelineStore;
  runId: string;
  taskId: string;
  attempt: number;
  clock: () => Date;
  /** Lines are written once this many are waiting (default 50)… */
  batchLines?: number;
  /** …or this long after the first waiting line (default 1 s). */
  batchMs?: number;
  /** Sees every stored line as it is logged (live progress). */
  onLine?: (line: LogLine) => void;
}

/**
 * A logger whose lines carry run, task and attempt ids on stderr and are stored, in order, with
 * the attempt (info and above; debug goes to stderr only). Secrets are scrubbed before either.
 */
export function attemptLogger(opts: AttemptLogOptions): AttemptLog {
  const ids = { run_id: opts.runId, task_id: opts.taskId, attempt: opts.attempt };
  const base = getLogger(`pipeline/${opts.taskId}`, ids);
  const batchLines = opts.batchLines ?? 50;
  let seq = 0;
  let pending: LogLine[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const lines = pending;
    pending = [];
    // Writes stay in order: each batch waits for the one before.
    writing = writing.then(async () => {
      if (lines.length === 0) return;
      try {
        await opts.store.appendLogs(opts.runId, lines);
      } catch (err) {
        log.warn("could not store task log lines", { ...ids, lines: lines.length, error: err });
      }
    });
    return writing;
  };

  const record = (
    level: LogLine["level"],
    message: string,
    fields: Record<string, unknown>,
  ) => {
    if (level === "debug") return;
    const clean = JSON.parse(scrub(JSON.stringify(cleanFields(fields)))) as Record<string, Json>;
    const line: LogLine = {
      taskId: opts.taskId,
      attempt: opts.attempt,
      seq: ++seq,
      at: opts.clock(),
      level,
      message: scrub(message),
      fields: clean,
    };
    pending.push(line);
    opts.onLine?.(line);
    if (pending.length >= batchLines) void flush();
    else if (timer === undefined) {
      timer = setTimeout(() => void flush(), opts.batchMs ?? 1000);
      Deno.unrefTimer(timer);
    }
  };

  const make = (inner: Logger, extra: Record<string, unknown>): Logger => ({
    debug: (m, f) => inner.debug(m, f),
    info: (m, f) => (inner.info(m, f), record("info", m, { ...extra, ...f })),
    warn: (m, f) => (inner.warn(m, f), record("warn", m, { ...extra, ...f })),
    error: (m, f) => (inner.error(m, f), record("error", m, { ...extra, ...f })),
    child: (f) => make(inner.child(f), { ...extra, ...f }),
    enabled: (level) => inner.enabled(level),
  });
  return { log: make(base, {}), flush };
}
