/** Cross-origin access: an allow-list for the public API and a separate one, empty by default, for the admin routes. */
import type { Context } from "hono";

/** Who may call the API from a page on another site. */
export interface CorsOptions {
  /** Origins allowed on the public routes (`*`: any); default none. */
  origins?: readonly string[];
  /** Origins allowed to send the admin token; default none, and never `*`. */
  adminOrigins?: readonly string[];
}

const ALLOW_METHODS = "GET,POST";
const ALLOW_HEADERS = "Content-Type,X-Request-Id,Authorization";
const EXPOSE_HEADERS = "X-Request-Id,Retry-After";
const MAX_AGE = "600";

/**
 * The admin token travels only in `Authorization`, which is not a CORS-safelisted header: a page
 * on another site can send it only after a preflight naming that header, and this answers such
 * preflights (and requests carrying the header) from the admin list alone. Public routes need no
 * credentials, so the public list never lets another site act with the token.
 */
function wantsAdmin(c: Context): boolean {
  if (c.req.method === "OPTIONS") {
    const asked = (c.req.header("access-control-request-headers") ?? "").toLowerCase();
    return asked.split(",").some((h) => h.trim() === "authorization");
  }
  return c.req.header("authorization") !== undefined;
}

/** CORS for `/api/*`: allowed origins get their own origin back; others get no CORS headers. */
export interface CorsPolicy {
  /** The answer to a preflight (`OPTIONS`), or null for any other request. */
  preflight(c: Context): Response | null;
  /** After the handler: the allowed origin's headers and `Vary: Origin` on the answer. */
  apply(c: Context): void;
}

/**
 * The policy of {@link CorsOptions}. Headers are set only on the finished answer (never on a
 * placeholder response before the handler), so a request without `Origin` — every server-side
 * client — costs one header lookup and `Vary: Origin`.
 */
export function corsPolicy(options: CorsOptions = {}): CorsPolicy {
  const publicList = options.origins ?? [];
  const publicAny = publicList.includes("*");
  const adminList = (options.adminOrigins ?? []).filter((o) => o !== "*");
  const allowed = (c: Context): string | null => {
    const origin = c.req.header("origin");
    if (!origin) return null;
    if (wantsAdmin(c)) return adminList.includes(origin) ? origin : null;
    return publicAny || publicList.includes(origin) ? origin : null;
  };
  return {
    preflight(c) {
      if (c.req.method !== "OPTIONS") return null;
      const h = new Headers({
        "Access-Control-Expose-Headers": EXPOSE_HEADERS,
        "Access-Control-Max-Age": MAX_AGE,
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Vary": "Origin, Access-Control-Request-Headers",
      });
      const origin = allowed(c);
      if (origin) h.set("Access-Control-Allow-Origin", origin);
      return new Response(null, { status: 204, headers: h });
    },
    apply(c) {
      const origin = allowed(c);
      const h = c.res.headers;
      if (origin) {
        h.set("Access-Control-Allow-Origin", origin);
        h.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
      }
      h.append("Vary", "Origin");
    },
  };
}
