/** Counts and times every request by method, route pattern (never the raw path) and status; logs it at debug level with its request id. */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { getLogger } from "../../log.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { AppEnv } from "../router.ts";

const log = getLogger("api/access");

/** The pattern of the handler that answered, or "unmatched" when only middleware matched. */
function routeLabel(c: Parameters<MiddlewareHandler>[0]): string {
  const last = matchedRoutes(c).at(-1)?.path;
  return !last || last === "*" || last === "/*" || c.res.status === 404 && last.endsWith("*")
    ? "unmatched"
    : last;
}

/** Observes `reelrank_http_requests_total` and `reelrank_http_request_duration_seconds`. */
export function httpMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const labels = { method: c.req.method, route: routeLabel(c), status: String(c.res.status) };
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    log.debug("request", { request_id: c.get("requestId"), ...labels, seconds });
  };
}
