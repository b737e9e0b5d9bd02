/** Admin routes need `Authorization: Bearer <REELRANK_ADMIN_TOKEN>`, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../errors.ts";
import type { AppEnv } from "../router.ts";
import { clientAddress } from "./rate_limit.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when `given` is the token; hashing first makes the comparison independent of lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Rejects requests without the admin bearer token with 401 (the token is never echoed), after the
 * app's admin rate limit (429 with Retry-After), which so also bounds guesses of the token.
 */
export function adminAuth(token: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const verdict = c.get("adminLimiter")?.take(clientAddress(c));
    if (verdict && !verdict.allowed) {
      c.header("Retry-After", String(verdict.retryAfterSeconds));
      return errorJson(c, {
        status: 429,
        code: "RATE_LIMITED",
        message:
          `too many admin requests from this address; retry in ${verdict.retryAfterSeconds} s`,
      });
    }
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !tokenMatches(m[1].trim(), token)) {
      c.header("WWW-Authenticate", 'Bearer realm="reelrank admin"');
      return errorJson(c, {
        status: 401,
        code: "UNAUTHORIZED",
        message: m
          ? "the bearer token is not the admin token"
          : "admin route: send Authorization: Bearer <REELRANK_ADMIN_TOKEN>",
      });
    }
    await next();
  };
}
