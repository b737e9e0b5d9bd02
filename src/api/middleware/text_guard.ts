/** Refuses NUL characters in paths, queries and JSON bodies: PostgreSQL text cannot hold them, so they would fail deep inside as 500s. */
import type { Context } from "hono";
import { errorJson } from "../errors.ts";
import type { AppEnv } from "../router.ts";

/** A JSON `\u0000` escape that is not itself escaped (`\\u0000` is a backslash and text). */
const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/i;

// The raw URL's path and query (the URL as received: a %00 is still escaped here).
function pathAndQuery(url: string): [string, string] {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const rest = start < 0 ? "" : url.slice(start);
  const q = rest.indexOf("?");
  return q < 0 ? [rest, ""] : [rest.slice(0, q), rest.slice(q)];
}

/** A 400 naming where a NUL character is (path, query or JSON body), or null when there is none. */
export async function nulProblem(c: Context<AppEnv>): Promise<Response | null> {
  const url = c.req.url;
  if (/%00/i.test(url) || url.includes("\0")) {
    const [path, query] = pathAndQuery(url);
    for (const [where, text] of [["path", path], ["query", query]] as const) {
      if (/%00/i.test(text) || text.includes("\0")) {
        return errorJson(c, {
          status: 400,
          code: "INVALID_PARAMETER",
          message: `${where}: contains a NUL character (%00), which no field accepts`,
          fields: [{ field: where, in: where, problem: "contains a NUL character" }],
        });
      }
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
  return null;
}
