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

/** A resource that does not exist: a model version, a run, a user, an object key. */
export function notFound(message: string): ReelrankError {
  return new ReelrankError("NOT_FOUND", message);
}

/** A caller-supplied value that is wrong; the message names the value seen and what is expected. */
export function invalid(message: string): ReelrankError {
  return new ReelrankError("INVALID_PARAMETER", message);
}

/** Stored bytes that fail a size or checksum check. */
export function corrupt(message: string): ReelrankError {
  return new ReelrankError("CORRUPT", message);
}

/** True when retrying the operation that threw `err` cannot succeed. */
export function isPermanent(err: unknown): boolean {
  return err instanceof ReelrankError && err.permanent;
}
