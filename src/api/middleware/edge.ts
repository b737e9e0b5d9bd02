/**
 * The app's middleware as two layers (each awaited layer costs a request a promise chain, and a
 * visitor's request is most of its time in here, not in the model): `edge()` around every request
 * — request id, metrics, security headers — and `apiGuard()` on `/api/*` — CORS, the admin
 * limiter, the body limit and the NUL guard, in that order.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Metrics } from "../../observability/metrics.ts";
import { errorJson } from "../errors.ts";
import type { AppEnv } from "../router.ts";
import { type CorsOptions, corsPolicy } from "./cors.ts";
import { observeRequest } from "./http_metrics.ts";
import type { RateLimiter } from "./rate_limit.ts";
import { requestIdOf } from "./request_id.ts";
import { applySecurityHeaders } from "./security_headers.ts";
import { nulProblem } from "./text_guard.ts";

/**
 * Every request: an id (echoed in `X-Request-Id`), counted and timed by route pattern once
 * answered, and the security headers on the answer.
 */
export function edge(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const id = requestIdOf(c);
    c.set("requestId", id);
    await next();
    // First: it swaps an answer with immutable headers (a redirect) for a mutable copy.
    applySecurityHeaders(c);
    c.res.headers.set("X-Request-Id", id);
    observeRequest(metrics, c, started);
  };
}

/** Options of {@link apiGuard}. */
export interface ApiGuardOptions {
  cors: CorsOptions;
  /** The app's one limiter of admin requests (see `adminAuth`). */
  adminLimiter: RateLimiter;
  /** Largest request body, bytes. */
  bodyLimitBytes: number;
}

/**
 * `/api/*`: preflights answered from the CORS policy; bodies over the limit refused with 413
 * (declared by Content-Length, or counted while read when the length is not declared); NUL
 * characters in the path, query or a JSON body refused with 400; allowed origins get their CORS
 * headers on the answer.
 */
export function apiGuard(o: ApiGuardOptions): MiddlewareHandler<AppEnv> {
  const cors = corsPolicy(o.cors);
  const tooLarge = (c: Parameters<MiddlewareHandler<AppEnv>>[0]) =>
    errorJson(c, {
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      message: `body: over the limit of ${o.bodyLimitBytes} bytes`,
    });
  // A body without a declared length (chunked) is counted as it is read.
  const counted = bodyLimit({ maxSize: o.bodyLimitBytes, onError: tooLarge });
  return async (c, next) => {
    const preflight = cors.preflight(c);
    if (preflight) return preflight;
    c.set("adminLimiter", o.adminLimiter);
    const inner = async () => {
      const refused = await nulProblem(c);
      if (refused) c.res = refused;
      else await next();
    };
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") await inner();
    else {
      const length = c.req.header("content-length");
      if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
        if (parseInt(length, 10) > o.bodyLimitBytes) c.res = tooLarge(c);
        else await inner();
      } else {
        const res = await counted(c, inner);
        if (res) c.res = res;
      }
    }
    cors.apply(c);
  };
}
