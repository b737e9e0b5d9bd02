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

/** Observes `reelrank_http_requests_total` and `reelrank_http_request_duration_seconds` for a finished request. */
export function observeRequest(
  metrics: Metrics,
  c: Context<AppEnv>,
  started: number,
): void {
  const labels = { method: c.req.method, route: routeLabel(c), status: String(c.res.status) };
  const seconds = (performance.now() - started) / 1000;
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  if (log.enabled("debug")) {
    log.debug("request", { request_id: c.get("requestId"), ...labels, seconds });
  }
}
