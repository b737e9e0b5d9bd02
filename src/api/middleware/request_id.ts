/** Gives every request an id (the caller's X-Request-Id when it is sane); the edge echoes it back. */
import type { Context } from "hono";

const SANE = /^[A-Za-z0-9._-]{1,64}$/;

/** The request's id: its sane X-Request-Id, or a new random one. */
export function requestIdOf(c: Context): string {
  const given = c.req.header("x-request-id");
  return given && SANE.test(given) ? given : crypto.randomUUID();
}
