/** Counts and times every request by method, route pattern (never the raw path) and status; logs it at debug level with its request id. */
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { getLogger } from "../../log.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { AppEnv } from "../router.ts";

const log = getLogger("api/access");

/** The pattern of the handler that answered, or "unmatched" when only middleware matched. */
function routeLabel(c: Context): string {
  const last = matchedRoutes(c).at(-1)?.path;
  return !last || last === "*" || last === "/*" || c.res.status === 404 && last.endsWith("*")
    ? "unmatched"
    : last;
}

/** The methods that get their own `method` label; HTTP methods are case-sensitive (RFC 9110 §9.1). */
const METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);

/**
 * The `method` label of a request: a standard method as sent, anything else "other". A client can
 * send any token as a method, and each distinct label value would be a new series for ever.
 */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/** Observes `reelrank_http_requests_total` and `reelrank_http_request_duration_seconds` for a finished request. */
export function observeRequest(
  metrics: Metrics,
  c: Context<AppEnv>,
  started: number,
): void {
  const labels = {
    method: methodLabel(c.req.method),
    route: routeLabel(c),
    status: String(c.res.status),
  };
  const seconds = (performance.now() - started) / 1000;
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  if (log.enabled("debug")) {
    log.debug("request", { request_id: c.get("requestId"), ...labels, seconds });
  }
}
