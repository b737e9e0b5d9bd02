/** Cross-origin access: an allow-list for the public API and a separate one, empty by default, for the admin routes. */
import type { Context, MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../router.ts";

/** Who may call the API from a page on another site. */
export interface CorsOptions {
  /** Origins allowed on the public routes (`*`: any); default none. */
  origins?: readonly string[];
  /** Origins allowed to send the admin token; default none, and never `*`. */
  adminOrigins?: readonly string[];
}

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
export function corsPolicy(options: CorsOptions = {}): MiddlewareHandler<AppEnv> {
  const publicList = options.origins ?? [];
  const adminList = (options.adminOrigins ?? []).filter((o) => o !== "*");
  return honoCors({
    origin: (origin, c) => {
      if (!origin) return null;
      if (wantsAdmin(c)) return adminList.includes(origin) ? origin : null;
      return publicList.includes("*") || publicList.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST"],
    allowHeaders: ["Content-Type", "X-Request-Id", "Authorization"],
    exposeHeaders: ["X-Request-Id", "Retry-After"],
    maxAge: 600,
  });
}
