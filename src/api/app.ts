/**
 * createApp(deps): the Hono app — middleware in two layers (request id, metrics, security headers;
 * then on /api/*: CORS, the admin limiter, body limit, NUL characters refused; see
 * middleware/edge.ts), the
 * /api/v1 resources, the operational routes, /openapi.json (generated from the route schemas)
 * and /docs, and the site (web/). Every dependency comes in through `deps`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { siteRoutes } from "../../web/site.tsx";
import type { AppDeps } from "./deps.ts";
import { errorJson, handleError } from "./errors.ts";
import { apiGuard, edge } from "./middleware/edge.ts";
import { rateLimiter } from "./middleware/rate_limit.ts";
import { type AppEnv, router } from "./router.ts";
import { browserModelRoutes } from "./routes/browser_model.ts";
import { docsRoutes } from "./routes/docs.ts";
import { eventsRoutes } from "./routes/events.ts";
import { modelsRoutes } from "./routes/models.ts";
import { moviesRoutes } from "./routes/movies.ts";
import { onlineRoutes } from "./routes/online.ts";
import { opsRoutes } from "./routes/ops.ts";
import { pipelineRoutes } from "./routes/pipeline.ts";
import { recommendationsRoutes } from "./routes/recommendations.ts";
import { runsRoutes } from "./routes/runs.ts";
import { usersRoutes } from "./routes/users.ts";

/** Default largest request body: a 1,000-movie history is about 10 KB. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

/** Default admin requests per minute per client address. */
export const DEFAULT_ADMIN_RATE_LIMIT = 30;

/** Builds the app; it holds no state of its own beyond what `deps` carries. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = router();
  app.use(edge(deps.metrics));
  app.use(
    "/api/*",
    apiGuard({
      cors: { origins: deps.http?.corsOrigins, adminOrigins: deps.http?.adminCorsOrigins },
      // One limiter for the app; adminAuth() on each admin route takes from it before the token check.
      adminLimiter: rateLimiter({
        perMinute: deps.http?.adminRequestsPerMinute ?? DEFAULT_ADMIN_RATE_LIMIT,
        clock: deps.clock,
      }),
      bodyLimitBytes: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    }),
  );
  app.onError(handleError);
  app.notFound((c) =>
    errorJson(c, {
      status: 404,
      code: "NOT_FOUND",
      message: `no route for ${c.req.method} ${c.req.path}`,
    })
  );

  const api = router()
    .route("/", usersRoutes(deps))
    .route("/", recommendationsRoutes(deps))
    .route("/", moviesRoutes(deps))
    .route("/", eventsRoutes(deps))
    .route("/", modelsRoutes(deps))
    .route("/", onlineRoutes(deps))
    .route("/", browserModelRoutes(deps))
    .route("/", runsRoutes(deps))
    .route("/", pipelineRoutes(deps));
  app.route("/api/v1", api);
  app.route("/", opsRoutes(deps));
  app.route("/", docsRoutes());
  app.route("/", siteRoutes(deps, { manifest: deps.siteManifest }));
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "reelrank API",
      version: "1",
      description:
        "Movie recommendations from the production model, movies, events, the model registry, " +
        "tracked runs and pipeline runs. Admin routes need `Authorization: Bearer <REELRANK_ADMIN_TOKEN>`.",
    },
  });
  return app;
}
