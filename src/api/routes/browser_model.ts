/**
 * What a page needs to rank in the browser: the served version, its family, size and sha256
 * (small, always revalidated), its artifact, and the catalogue's display columns
 * (content-addressed, cached for a year), gzipped when the client accepts it. Only families a
 * page can rank with (src/serving/browser_families.ts) are offered for download. Nothing here
 * depends on a visitor's history.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { notFound, ReelrankError, unavailable } from "../../errors.ts";
import { MODEL_NAME } from "../../registry/store.ts";
import { browserFamilyProblem } from "../../serving/browser_families.ts";
import { type Download, Downloads } from "../../serving/downloads.ts";
import type { AppDeps } from "../deps.ts";
import { router } from "../router.ts";
import { acceptsGzip, matches } from "../negotiation.ts";
import { errors, json, pathId } from "../schemas/common.ts";

/** Header carrying the hex sha256 of the decoded body (the ETag's value, whatever the encoding). */
export const SHA256_HEADER = "X-Content-Sha256";

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

const Production = z.object({
  model: z.string(),
  version: z.int().openapi({ description: "the version this server answers with" }),
  family: z.string().openapi({
    description: "mlp, ease or itemknn: a page ranks in the browser only with mlp, else on the " +
      "server",
    example: "mlp",
  }),
  sha256: z.string().openapi({
    description: "hex sha256 of the artifact (what a client verifies)",
  }),
  size: z.int().openapi({ description: "artifact bytes" }),
  gzipSize: z.int().nullable().openapi({
    description: "artifact bytes on the wire with gzip; null when it is not offered for download",
  }),
  artifactUrl: z.string().nullable().openapi({
    description: "null for a family pages cannot rank with (its artifact is not offered)",
    example: "/api/v1/models/2/artifact",
  }),
  catalog: z.object({
    sha256: z.string(),
    size: z.int(),
    gzipSize: z.int(),
    url: z.string().openapi({ example: "/api/v1/catalog/3f2a…" }),
  }).openapi({ description: "every movie's display fields, as columns" }),
}).openapi("ProductionModel");

const MovieColumns = z.object({
  ids: z.array(z.int()),
  titles: z.array(z.string()),
  years: z.array(z.int().nullable()),
  genres: z.array(z.string()).openapi({ description: "genre names, indexed by genreIds" }),
  genreIds: z.array(z.array(z.int())),
  overviews: z.array(z.string().nullable()),
  posterUrls: z.array(z.string().nullable()),
}).openapi("MovieColumns");

const Sha = z.string().regex(/^[0-9a-f]{64}$/, { message: "expected 64 lowercase hex digits" })
  .openapi({ param: { name: "sha256", in: "path", required: true } });

const FAMILY_NOTE = "Offered only for the families a page ranks with in the browser (mlp); " +
  "another family (EASE's movies × movies weights, ItemKNN) answers 409: rank on the server.";

const binary = (description: string) => ({
  description,
  content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
});

/**
 * Answers with `d`, gzipped when accepted. The gzip body gets the weak ETag W/"sha256" (same
 * content, other bytes), the identity one the strong "sha256"; both revalidate to 304.
 */
function send(c: Context, d: Download, o: { type: string; cache: string }): Response {
  const gz = acceptsGzip(c.req.header("accept-encoding"));
  const headers: Record<string, string> = {
    "Content-Type": o.type,
    "Cache-Control": o.cache,
    ETag: gz ? `W/"${d.sha256}"` : `"${d.sha256}"`,
    [SHA256_HEADER]: d.sha256,
    Vary: "Accept-Encoding",
  };
  if (matches(c.req.header("if-none-match"), d.sha256)) return c.body(null, 304, headers);
  if (gz) headers["Content-Encoding"] = "gzip";
  const body = gz ? d.gzip : d.bytes;
  return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
}

/** The routes; downloads are built on first use and kept in memory. */
export function browserModelRoutes(deps: AppDeps) {
  const downloads = new Downloads(deps.registry);
  const served = () => {
    const v = deps.serving.version();
    if (v === null) throw unavailable("no model is loaded yet, so there is none to download");
    return v;
  };
  // The served version's artifact, when its family is one a page ranks with; else 409.
  const offered = async (version: number): Promise<Download> => {
    const v = await downloads.version(version);
    const problem = browserFamilyProblem(v.family);
    if (problem) {
      throw new ReelrankError(
        "CONFLICT",
        `model version ${version} is not offered for download: ${problem}; ` +
          "rank on the server with POST /api/v1/recommendations",
      );
    }
    return await downloads.artifact(version);
  };
  const checkpoint = "application/octet-stream";
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/models/production",
        tags: ["models"],
        summary: "The served version with its sha256, and where to download it and the catalogue",
        description:
          "Small and never cached without revalidation: a page polls it to notice a new version.",
        responses: { 200: json(Production, "The served version"), ...errors(503) },
      }),
      async (c) => {
        const version = served();
        const [v, cat] = await Promise.all([
          downloads.version(version),
          downloads.catalog(deps.serving.catalog()),
        ]);
        // An artifact pages cannot use is never read or compressed here (EASE's can be 100s of MB).
        const a = browserFamilyProblem(v.family) ? null : await downloads.artifact(version);
        c.header("Cache-Control", REVALIDATE);
        return c.json({
          model: MODEL_NAME,
          version,
          family: v.family ?? "mlp",
          sha256: v.sha256,
          size: v.size,
          gzipSize: a ? a.gzip.length : null,
          artifactUrl: a ? `/api/v1/models/${version}/artifact` : null,
          catalog: {
            sha256: cat.sha256,
            size: cat.bytes.length,
            gzipSize: cat.gzip.length,
            url: `/api/v1/catalog/${cat.sha256}`,
          },
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/models/production/artifact",
        tags: ["models"],
        summary: "The served version's checkpoint (ETag = its sha256; revalidate before use)",
        description: FAMILY_NOTE,
        responses: {
          200: binary("The checkpoint"),
          304: { description: "Unchanged" },
          ...errors(409, 503),
        },
      }),
      async (c) => send(c, await offered(served()), { type: checkpoint, cache: REVALIDATE }),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/models/{version}/artifact",
        tags: ["models"],
        summary: "A version's checkpoint, cacheable for a year (only the version being served)",
        description: FAMILY_NOTE,
        request: { params: z.object({ version: pathId("version", 2) }) },
        responses: {
          200: binary("The checkpoint"),
          304: { description: "Unchanged" },
          ...errors(400, 404, 409, 503),
        },
      }),
      async (c) => {
        const { version } = c.req.valid("param");
        const current = served();
        if (version !== current) {
          throw notFound(
            `model version ${version} is not the one this server serves (${current}); ` +
              "ask GET /api/v1/models/production",
          );
        }
        return send(c, await offered(version), { type: checkpoint, cache: IMMUTABLE });
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/catalog/{sha256}",
        tags: ["movies"],
        summary: "Every movie's display fields as columns, addressed by the sha256 of the JSON",
        request: { params: z.object({ sha256: Sha }) },
        responses: {
          200: json(MovieColumns, "The catalogue"),
          304: { description: "Unchanged" },
          ...errors(400, 404),
        },
      }),
      async (c) => {
        const { sha256 } = c.req.valid("param");
        const d = await downloads.catalog(deps.serving.catalog());
        if (d.sha256 !== sha256) {
          throw notFound(
            `the catalogue ${
              sha256.slice(0, 12)
            }… has been replaced; ask GET /api/v1/models/production`,
          );
        }
        return send(c, d, { type: "application/json", cache: IMMUTABLE });
      },
    );
}
