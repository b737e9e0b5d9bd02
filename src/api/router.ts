/** The app's environment and a router factory whose validation failures answer 400 naming each field. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { validationError } from "./errors.ts";
import type { RateLimiter } from "./middleware/rate_limit.ts";

/** Per-request values the middleware sets. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The app's one limiter of admin requests, which every admin route's guard consults. */
    adminLimiter?: RateLimiter;
  };
}

/** A router (one per resource); all share the same validation answer. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return validationError(c, result);
    },
  });
}
