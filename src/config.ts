/** The only reader of the environment: validates every variable once and fails fast naming the fix. */
import { invalid } from "./errors.ts";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Everything reelrank reads from the environment, validated. */
export interface Config {
  /** Folder for PGlite, the file object store and locks (`REELRANK_DATA_DIR`, default `./.reelrank`). */
  dataDir: string;
  /** `DATABASE_URL`: PostgreSQL when set, PGlite under `dataDir` otherwise. */
  databaseUrl?: string;
  /** `OBJECT_STORE_URL` (`file:///path` or `s3://bucket/prefix`); default: a folder under `dataDir`. */
  objectStoreUrl: string;
  s3: {
    endpoint?: string;
    region: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
  };
  tmdb: {
    apiKey?: string;
    readToken?: string;
    baseUrl: string;
    /** Requests per second; TMDB allows ~50, we stay well under. */
    rateLimit: number;
  };
  /** `PORT` the API listens on (default 8000) and `HOST` (default 127.0.0.1). */
  port: number;
  host: string;
  /** `SCHEDULER_PORT`: where `deno task scheduler` answers /health and /metrics (default 8001). */
  schedulerPort: number;
  /** `REELRANK_DAG_CRON`: when the `recommend` DAG runs (5-field cron, UTC; default daily 03:00). */
  dagCron: string;
  /** `REELRANK_ADMIN_TOKEN`: the bearer token of admin routes; unset → generated into `dataDir`. */
  adminToken?: string;
  /** Who may call the API from other sites, and how often the admin routes answer. */
  http: HttpSecurity;
  logLevel: LogLevel;
  /** Worker threads for the kernel (`REELRANK_THREADS`, default: the number of cores, at most 2). */
  threads: number;
  drift: {
    /** `REELRANK_DRIFT_THRESHOLD`: the PSI above which drift is reported (default 0.2). */
    threshold: number;
    /** `REELRANK_DRIFT_RETRAIN`: start a retraining run when data drift crosses it (default false). */
    retrain: boolean;
  };
  /**
   * Kernel memory an item-to-item family may use (`REELRANK_FAMILY_MEMORY_MIB`, default 1536, at
   * most 1920 of the kernel's 2 GiB): EASE's items × items matrix must fit, or the family is
   * skipped with the reason.
   */
  familyMemoryMiB: number;
  /**
   * The promotion gate's coverage guard (`REELRANK_GATE_COVERAGE_TOLERANCE`, unset = off): a
   * winner on validation NDCG@10 must keep validation coverage@10 within this much of production's.
   */
  gateCoverageTolerance?: number;
  /**
   * Impressions a server holds in memory before writing them (`REELRANK_IMPRESSION_BUFFER`,
   * default 10,000): more are dropped and counted rather than slowing requests.
   */
  impressionBuffer: number;
  /**
   * `REELRANK_REUSE_PORT`: `serve`/`start` listen with SO_REUSEPORT, so several server processes on
   * one host share `PORT` and the kernel spreads connections over them (Linux; needs
   * `DATABASE_URL`: a PGlite data folder belongs to one process). Default false.
   */
  reusePort: boolean;
  /** True under CI (`CI=true`): progress output stays quiet. */
  ci: boolean;
  /** Values that must never be printed: used by the logger to scrub messages. */
  secrets: string[];
}

/** Cross-origin access and the admin routes' rate limit. */
export interface HttpSecurity {
  /** `REELRANK_CORS_ORIGINS`: origins whose pages may call the public API (`*`: any); default none. */
  corsOrigins: string[];
  /** `REELRANK_ADMIN_CORS_ORIGINS`: origins whose pages may call the admin routes; default none. */
  adminCorsOrigins: string[];
  /** `REELRANK_ADMIN_RATE_LIMIT`: admin requests per minute per client address (default 30). */
  adminRequestsPerMinute: number;
}

type Env = Record<string, string | undefined>;

/** A comma-separated list of origins (`https://host[:port]`), each checked; `*` only where allowed. */
function origins(env: Env, name: string, options: { any: boolean }): string[] {
  const raw = (env[name] ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (const o of raw) {
    if (o === "*" && options.any) continue;
    let origin: string | undefined;
    try {
      origin = new URL(o).origin;
    } catch { /* reported below */ }
    if (origin !== o || !/^https?:/.test(o)) {
      throw invalid(
        `${name} must list origins like https://app.example.com (scheme, host, optional port; ` +
          `no path)${options.any ? " or *" : ""}, separated by commas; got "${o}"`,
      );
    }
  }
  return raw;
}

function positiveNumber(env: Env, name: string, fallback: number, integer = false): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw invalid(
      `${name} must be a positive ${
        integer ? "integer" : "number"
      }, got "${raw}"; unset it to use ${fallback}`,
    );
  }
  return n;
}

// Minute, hour, day of month, month, day of week: numbers, *, ranges, lists and steps.
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

function cronExpression(env: Env): string {
  const raw = (env.REELRANK_DAG_CRON || "0 3 * * *").trim();
  const fields = raw.split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
    throw invalid(
      `REELRANK_DAG_CRON must be a 5-field cron expression (minute hour day-of-month month day-of-week, UTC) such as "0 3 * * *", got "${raw}"`,
    );
  }
  return fields.join(" ");
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw invalid(`${name} must be true or false, got "${raw}"; unset it to use ${fallback}`);
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, "");
}

/**
 * REELRANK_LOG_FILE, a file every log line is also appended to whatever LOG_LEVEL says: CI sets it
 * for the test suite (whose tests mostly silence the logger) and scans the lines for the test
 * secrets. Read apart from {@link loadConfig} because the logger exists before any config does.
 */
export function logCaptureFile(): string | undefined {
  try {
    return Deno.env.get("REELRANK_LOG_FILE") || undefined;
  } catch {
    return undefined; // no --allow-env: nothing to capture
  }
}

/**
 * Reads and validates the configuration. Pass `env` in tests; by default it reads `Deno.env` once.
 * Throws a `ReelrankError` naming the variable and the fix.
 */
export function loadConfig(env: Env = Deno.env.toObject()): Config {
  const dataDir = trimSlash(env.REELRANK_DATA_DIR || "./.reelrank");
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw invalid(
      `DATABASE_URL must start with postgres:// or postgresql://, got "${
        databaseUrl.split(":")[0]
      }:…"; unset it to use the embedded PGlite database`,
    );
  }
  let objectStoreUrl = env.OBJECT_STORE_URL || "";
  if (!objectStoreUrl && env.S3_BUCKET) {
    objectStoreUrl = `s3://${env.S3_BUCKET}/${env.S3_PREFIX ?? ""}`;
  }
  if (!objectStoreUrl) {
    objectStoreUrl = `file://${dataDir.startsWith("/") ? "" : Deno.cwd() + "/"}${dataDir}/objects`;
  }
  if (!/^(file|s3):\/\//.test(objectStoreUrl)) {
    throw invalid(
      `OBJECT_STORE_URL must be file:///path or s3://bucket/prefix, got "${objectStoreUrl}"`,
    );
  }
  const logLevel = (env.LOG_LEVEL || "warn") as LogLevel;
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw invalid(`LOG_LEVEL must be one of debug, info, warn, error, silent; got "${logLevel}"`);
  }
  const tmdbBase = trimSlash(env.TMDB_BASE_URL || "https://api.themoviedb.org/3");
  if (!/^https?:\/\//.test(tmdbBase)) {
    throw invalid(`TMDB_BASE_URL must be an http(s) URL, got "${tmdbBase}"`);
  }
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
  const adminToken = env.REELRANK_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(adminToken)) {
    throw invalid(
      `REELRANK_ADMIN_TOKEN must be 16 to 256 printable characters without spaces, got ${adminToken.length} characters; ` +
        "unset it to have one generated",
    );
  }
  const familyMemoryMiB = positiveNumber(env, "REELRANK_FAMILY_MEMORY_MIB", 1536, true);
  if (familyMemoryMiB < 64 || familyMemoryMiB > 1920) {
    throw invalid(
      `REELRANK_FAMILY_MEMORY_MIB must be an integer in 64..1920 (the kernel holds 2 GiB), got ${familyMemoryMiB}`,
    );
  }
  const rawTolerance = env.REELRANK_GATE_COVERAGE_TOLERANCE;
  const gateCoverageTolerance = rawTolerance ? Number(rawTolerance) : undefined;
  if (
    gateCoverageTolerance !== undefined &&
    !(rawTolerance!.trim() !== "" && gateCoverageTolerance >= 0 && gateCoverageTolerance <= 1)
  ) {
    throw invalid(
      `REELRANK_GATE_COVERAGE_TOLERANCE must be a number in [0, 1] (a share of the catalogue), got "${rawTolerance}"; unset it to turn the coverage guard off`,
    );
  }
  const reusePort = flag(env, "REELRANK_REUSE_PORT", false);
  if (reusePort && !databaseUrl) {
    throw invalid(
      "REELRANK_REUSE_PORT=true needs DATABASE_URL: server processes sharing a port must share a PostgreSQL database (a PGlite data folder is open in one process only)",
    );
  }
  const secrets = [env.TMDB_API_KEY, env.TMDB_READ_TOKEN, env.AWS_SECRET_ACCESS_KEY, adminToken]
    .filter((s): s is string => !!s && s.length >= 4);
  if (databaseUrl) {
    const password = /^postgres(?:ql)?:\/\/[^:/@]*:([^@]*)@/.exec(databaseUrl)?.[1];
    if (password && password.length >= 4) secrets.push(password);
  }
  return Object.freeze({
    dataDir,
    databaseUrl,
    objectStoreUrl,
    s3: {
      endpoint: env.S3_ENDPOINT || undefined,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
      accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: env.S3_FORCE_PATH_STYLE
        ? env.S3_FORCE_PATH_STYLE !== "false"
        : !!env.S3_ENDPOINT,
    },
    tmdb: {
      apiKey: env.TMDB_API_KEY || undefined,
      readToken: env.TMDB_READ_TOKEN || undefined,
      baseUrl: tmdbBase,
      rateLimit: positiveNumber(env, "TMDB_RATE_LIMIT", 20),
    },
    port: positiveNumber(env, "PORT", 8000, true),
    host: env.HOST || "127.0.0.1",
    schedulerPort: positiveNumber(env, "SCHEDULER_PORT", 8001, true),
    dagCron: cronExpression(env),
    adminToken,
    http: {
      corsOrigins: origins(env, "REELRANK_CORS_ORIGINS", { any: true }),
      // Never "*": a page from any site could then drive the admin routes with a pasted token.
      adminCorsOrigins: origins(env, "REELRANK_ADMIN_CORS_ORIGINS", { any: false }),
      adminRequestsPerMinute: positiveNumber(env, "REELRANK_ADMIN_RATE_LIMIT", 30, true),
    },
    logLevel,
    threads: Math.min(positiveNumber(env, "REELRANK_THREADS", Math.min(cores, 2), true), 16),
    drift: {
      threshold: positiveNumber(env, "REELRANK_DRIFT_THRESHOLD", 0.2),
      retrain: flag(env, "REELRANK_DRIFT_RETRAIN", false),
    },
    familyMemoryMiB,
    gateCoverageTolerance,
    impressionBuffer: positiveNumber(env, "REELRANK_IMPRESSION_BUFFER", 10_000, true),
    reusePort,
    ci: env.CI === "true" || env.CI === "1",
    secrets,
  });
}
