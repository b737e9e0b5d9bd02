/** Gives every request an id (the caller's X-Request-Id when it is sane) and echoes it back. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../router.ts";

const SANE = /^[A-Za-z0-9._-]{1,64}$/;

/** Sets `c.var.requestId` and the `X-Request-Id` response header. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given && SANE.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.header("X-Request-Id", id);
  };
}
