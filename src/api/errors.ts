/** The one table from error codes to HTTP status, and the JSON every error answer has. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { ReelrankError } from "../errors.ts";
import { getLogger } from "../log.ts";

const log = getLogger("api");

/** HTTP status of every domain error code (and of the HTTP-level codes the API adds). */
export const STATUS: Record<string, number> = {
  INVALID_PARAMETER: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  CORRUPT: 500,
  PERMANENT: 500,
  INTERNAL: 500,
};

const HTTP_CODES: Record<number, string> = {
  400: "INVALID_PARAMETER",
  401: "UNAUTHORIZED",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

type Where = "path" | "query" | "body" | "header";
const TARGET: Record<string, Where> = {
  param: "path",
  query: "query",
  json: "body",
  header: "header",
};

/** A problem with one field. */
export interface FieldProblem {
  field: string;
  in: Where;
  problem: string;
}

/** The error answer: code, message, optional field problems and the request id. */
export function errorJson(
  c: Context,
  answer: { status: number; code: string; message: string; fields?: FieldProblem[] },
): Response {
  const { status, ...error } = answer;
  return c.json({ error, requestId: c.get("requestId") ?? "" }, status as 400);
}

/** Answers a failed zod validation with 400 naming every field and its problem. */
export function validationError(
  c: Context,
  result: { target: string; error: ZodError },
): Response {
  const { target, error } = result;
  const where = TARGET[target] ?? "body";
  const fields = error.issues.map((i) => ({
    field: i.path.length ? i.path.join(".") : where,
    in: where,
    problem: i.message,
  }));
  const message = fields.map((f) => `${f.field}: ${f.problem}`).join("; ");
  return errorJson(c, { status: 400, code: "INVALID_PARAMETER", message, fields });
}

/**
 * Maps any thrown error to its answer. Domain errors keep their code and message (they are
 * written for the caller); anything else is logged with its cause and answered with a generic 500
 * naming only the request id.
 */
export function handleError(err: unknown, c: Context): Response {
  if (err instanceof ReelrankError) {
    const status = STATUS[err.code] ?? 500;
    if (status < 500 || err.code === "UNAVAILABLE") {
      return errorJson(c, { status, code: err.code, message: err.message });
    }
  } else if (err instanceof HTTPException && err.status < 500) {
    const code = HTTP_CODES[err.status] ?? "INVALID_PARAMETER";
    const message = err.status === 400 && /JSON/i.test(err.message)
      ? "body: malformed JSON"
      : err.message || code;
    return errorJson(c, { status: err.status, code, message });
  }
  log.error("request failed", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    error: err,
    cause: (err as Error)?.cause,
    stack: (err as Error)?.stack,
  });
  return errorJson(c, {
    status: 500,
    code: "INTERNAL",
    message: "internal error; quote the request id when reporting it",
  });
}
