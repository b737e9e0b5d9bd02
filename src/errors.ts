/** Domain errors: every failure reelrank reports carries a code that maps to one HTTP status and one CLI exit. */

/** The closed set of error codes; `src/api` maps each to an HTTP status in one table. */
export type ErrorCode =
  | "NOT_FOUND"
  | "INVALID_PARAMETER"
  | "CONFLICT"
  | "UNAVAILABLE"
  | "UNAUTHORIZED"
  | "CORRUPT"
  | "PERMANENT"
  | "INTERNAL";

/**
 * An error with a code. `permanent` tells retry loops (the TMDB client, the pipeline engine)
 * that trying again cannot help.
 */
export class ReelrankError extends Error {
  readonly code: ErrorCode;
  readonly permanent: boolean;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; permanent?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReelrankError";
    this.code = code;
    this.permanent = options.permanent ??
      (code !== "UNAVAILABLE" && code !== "INTERNAL" && code !== "CONFLICT");
  }
}

/** Options every error helper takes: the error that caused this one, kept for logs. */
export interface ErrorOptions {
  cause?: unknown;
}

/** A resource that does not exist: a model version, a run, a user, an object key. */
export function notFound(message: string, options: ErrorOptions = {}): ReelrankError {
  return new ReelrankError("NOT_FOUND", message, options);
}

/** A caller-supplied value that is wrong; the message names the value seen and what is expected. */
export function invalid(message: string, options: ErrorOptions = {}): ReelrankError {
  return new ReelrankError("INVALID_PARAMETER", message, options);
}

/** Stored bytes that fail a size or checksum check. */
export function corrupt(message: string, options: ErrorOptions = {}): ReelrankError {
  return new ReelrankError("CORRUPT", message, options);
}

/**
 * A broken invariant inside reelrank (a kernel arena too small, a worker that died): a bug or a
 * resource limit, never the caller's fault, so it must not become an HTTP 400.
 */
export function internal(message: string, options: ErrorOptions = {}): ReelrankError {
  return new ReelrankError("INTERNAL", message, options);
}

/** A dependency that is down or not ready (database, object store, a model not loaded yet). */
export function unavailable(message: string, options: ErrorOptions = {}): ReelrankError {
  return new ReelrankError("UNAVAILABLE", message, options);
}

/** True when retrying the operation that threw `err` cannot succeed. */
export function isPermanent(err: unknown): boolean {
  return err instanceof ReelrankError && err.permanent;
}

/**
 * A structured-clone-safe picture of an error (code, message, cause chain), for crossing a
 * worker boundary; {@link errorFromData} rebuilds it on the other side.
 */
export interface ErrorData {
  code?: ErrorCode;
  name: string;
  message: string;
  permanent?: boolean;
  cause?: ErrorData;
}

/** Flattens `err` and its causes (depth-limited) into plain data. */
export function errorToData(err: unknown, depth = 0): ErrorData {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const data: ErrorData = { name: err.name, message: err.message };
  if (err instanceof ReelrankError) {
    data.code = err.code;
    data.permanent = err.permanent;
  }
  if (err.cause !== undefined && depth < 8) data.cause = errorToData(err.cause, depth + 1);
  return data;
}

/** Rebuilds an error from {@link errorToData}: a ReelrankError keeps its code and cause. */
export function errorFromData(data: ErrorData): Error {
  const cause = data.cause ? errorFromData(data.cause) : undefined;
  if (data.code) {
    return new ReelrankError(data.code, data.message, { cause, permanent: data.permanent });
  }
  const err = new Error(data.message, cause === undefined ? undefined : { cause });
  err.name = data.name;
  return err;
}
