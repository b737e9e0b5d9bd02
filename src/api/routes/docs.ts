/** /docs: Swagger UI on /openapi.json, its assets served from the swagger-ui-dist npm package (no CDN). */
import { Hono } from "hono";
import { getAbsoluteFSPath } from "swagger-ui-dist";
import type { AppEnv } from "../router.ts";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const INIT = `window.onload = () => {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout" });
};
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>reelrank API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/** The docs page and its assets (read once from the package, then kept in memory). */
export function docsRoutes() {
  const cache = new Map<string, Uint8Array>();
  return new Hono<AppEnv>()
    .get("/docs", (c) => c.html(PAGE))
    .get(
      "/docs/assets/init.js",
      (c) => c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
    )
    .get("/docs/assets/:file", async (c) => {
      const file = c.req.param("file");
      const type = ASSETS[file];
      if (!type) return c.notFound();
      let bytes = cache.get(file);
      if (!bytes) {
        bytes = await Deno.readFile(`${getAbsoluteFSPath()}/${file}`);
        cache.set(file, bytes);
      }
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        "Content-Type": type,
        "Cache-Control": "public, max-age=86400",
      });
    });
}
