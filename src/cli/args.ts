/** Shared CLI plumbing: strict flag parsing, --help, and one readable error line with exit code ≠ 0. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ReelrankError } from "../errors.ts";
import { configureLogging, scrub } from "../log.ts";
import { type Config, loadConfig } from "../config.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Thrown for bad command-line input; printed as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * Parses `argv` strictly: an unknown flag or a missing value is a `UsageError` naming it.
 * `--help` is always accepted.
 */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional.*$/s, "");
    throw new UsageError(msg);
  }
}

/** Parses an integer flag value, naming the flag when it is not one. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  }
  return n;
}

/** Parses a number flag value, naming the flag when it is not one. */
export function numFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  }
  return n;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a date flag: `YYYY-MM-DD` (midnight UTC) or an ISO 8601 date-time with its offset
 * (`2026-01-02T03:00:00Z`); anything else, or a day that does not exist, is a usage error.
 */
export function dateFlag(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const day = DAY.test(value);
  const d = new Date(day ? `${value}T00:00:00Z` : DATE_TIME.test(value) ? value : NaN);
  // Date rolls 2026-02-30 over to March; a day must come back as written.
  if (Number.isNaN(d.getTime()) || (day && !d.toISOString().startsWith(value))) {
    throw new UsageError(
      `--${name} must be a day YYYY-MM-DD (UTC) or a date-time such as 2026-01-02T03:00:00Z, got "${value}"`,
    );
  }
  return d;
}

/**
 * Runs a CLI entry point: loads the config, configures logging, prints `help` for --help, and
 * turns any error into one line on stderr with exit code 2 (usage) or 1 (anything else).
 */
export async function runCli(
  help: string,
  main: (argv: string[], config: Config) => Promise<void>,
  argv: string[] = Deno.args,
): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(help.trim());
    return;
  }
  try {
    const config = loadConfig();
    configureLogging({ level: config.logLevel, secrets: config.secrets });
    await main(argv, config);
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = err instanceof ReelrankError || usage
      ? (err as Error).message
      : `unexpected failure: ${(err as Error)?.message ?? String(err)}`;
    console.error(scrub(`error: ${message}${usage ? " (see --help)" : ""}`));
    Deno.exit(usage ? 2 : 1);
  }
}
