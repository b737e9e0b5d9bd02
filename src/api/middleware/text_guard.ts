/** Refuses NUL characters in paths, queries and JSON bodies: PostgreSQL text cannot hold them, so they would fail deep inside as 500s. */
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../errors.ts";
import type { AppEnv } from "../router.ts";

/** A JSON `\u0000` escape that is not itself escaped (`\\u0000` is a backslash and text). */
const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/i;

/** 400 naming where the NUL character was; everything else passes untouched. */
export function rejectNul(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const [where, text] of [["path", url.pathname], ["query", url.search]] as const) {
      if (/%00/i.test(text) || text.includes("\0")) {
        return errorJson(c, {
          status: 400,
          code: "INVALID_PARAMETER",
          message: `${where}: contains a NUL character (%00), which no field accepts`,
          fields: [{ field: where, in: where, problem: "contains a NUL character" }],
        });
      }
    }
    if (
      c.req.method !== "GET" && c.req.method !== "HEAD" &&
      /json/i.test(c.req.header("content-type") ?? "")
    ) {
      const body = await c.req.text();
      if (body.includes("\0") || JSON_NUL.test(body)) {
        return errorJson(c, {
          status: 400,
          code: "INVALID_PARAMETER",
          message: "body: contains a NUL character (\\u0000), which no field accepts",
          fields: [{ field: "body", in: "body", problem: "contains a NUL character" }],
        });
      }
    }
    await next();
  };
}
