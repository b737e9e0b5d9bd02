/** The site's routes: pages with their loaders, the built assets, and error pages in HTML. Mounted at / by createApp(). */
import { Hono } from "hono";
import type { AppDeps } from "../src/api/deps.ts";
import { handleError, STATUS } from "../src/api/errors.ts";
import type { AppEnv } from "../src/api/router.ts";
import { ReelrankError } from "../src/errors.ts";
import { type AssetManifest, assetRoutes, readManifest } from "./assets.ts";
import { Notice } from "./components/notice.tsx";
import { compareRoutes } from "./routes/compare.tsx";
import { dataRoutes } from "./routes/data.tsx";
import { driftRoutes } from "./routes/drift.tsx";
import { homeRoutes } from "./routes/home.tsx";
import { movieRoutes } from "./routes/movie.tsx";
import { page } from "./routes/page.ts";
import { pipelineRoutes } from "./routes/pipeline.tsx";
import { pipelineRunRoutes } from "./routes/pipeline_run.tsx";
import { registryRoutes } from "./routes/registry.tsx";
import { runRoutes } from "./routes/run.tsx";
import { runsRoutes } from "./routes/runs.tsx";

/** Options of {@link siteRoutes}. */
export interface SiteOptions {
  /** The build manifest (default: web/dist/manifest.json, read on first use). */
  manifest?: () => AssetManifest;
}

/** The site. */
export function siteRoutes(deps: AppDeps, options: SiteOptions = {}) {
  let cached: AssetManifest | undefined;
  const manifest = options.manifest ?? (() => cached ??= readManifest());
  const app = new Hono<AppEnv>();
  app.onError((err, c) => {
    if (err instanceof ReelrankError && (STATUS[err.code] ?? 500) < 500) {
      const status = STATUS[err.code];
      const heading = status === 404 ? "Not found" : "That did not work";
      return page(c, <Notice heading={heading} message={err.message} />, {
        title: heading,
        section: "error",
        manifest: manifest(),
        status,
      });
    }
    // Logged with its cause by the API's handler; the page names only the request id.
    const res = handleError(err, c);
    const message = `Something went wrong on the server (request id ${c.get("requestId")}).`;
    return c.html(
      `<!doctype html><title>Error · reelrank</title><p>${message}</p>`,
      res.status as 500,
    );
  });
  return app
    .route("/", assetRoutes(manifest))
    .route("/", homeRoutes(deps, manifest))
    .route("/", movieRoutes(deps, manifest))
    .get("/admin", (c) => c.redirect("/admin/runs", 302))
    .route("/", pipelineRoutes(deps, manifest))
    .route("/", pipelineRunRoutes(deps, manifest))
    .route("/", runsRoutes(deps, manifest))
    .route("/", compareRoutes(deps, manifest))
    .route("/", runRoutes(deps, manifest))
    .route("/", registryRoutes(deps, manifest))
    .route("/", dataRoutes(deps, manifest))
    .route("/", driftRoutes(deps, manifest));
}
