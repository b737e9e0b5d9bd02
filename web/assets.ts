/** The built site assets: the manifest web/build.ts writes, and the Hono route that serves web/dist with immutable caching. */
import { Hono } from "hono";
import { join } from "node:path";
import { acceptsGzip } from "../src/api/negotiation.ts";
import { gzip } from "../src/snapshot/codec.ts";

/** web/dist: build output, not committed. */
export const DIST_DIR = new URL("./dist", import.meta.url).pathname;
export const MANIFEST_FILE = "manifest.json";
/** Where the app serves web/dist. */
export const ASSET_PREFIX = "/static/";

/** What web/build.ts wrote: hashed file names of the CSS and of each island's entry. */
export interface AssetManifest {
  css: string;
  /** Island name → its entry file (which imports shared chunks by their hashed names). */
  islands: Record<string, string>;
  /** Every file in web/dist besides the manifest. */
  files: string[];
  /** The WASM kernel (wasm/build/kernel.wasm, content-hashed) that visitors' browsers rank with. */
  kernel?: string;
}

/** Reads the manifest from `dir`; a missing build says how to make one. */
export function readManifest(dir = DIST_DIR): AssetManifest {
  try {
    return JSON.parse(Deno.readTextFileSync(join(dir, MANIFEST_FILE)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `site assets are not built (no ${join(dir, MANIFEST_FILE)}): run deno task build`,
      );
    }
    throw err;
  }
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  // The type WebAssembly.compileStreaming() requires.
  ".wasm": "application/wasm",
};

/**
 * Serves the files the manifest lists (nothing else: no path from the request reaches the file
 * system), gzipped once and then from memory when the client accepts it. Their names change with
 * their content, so browsers may keep them for a year.
 */
export function assetRoutes(manifest: () => AssetManifest, dir = DIST_DIR) {
  const cache = new Map<string, Promise<{ bytes: Uint8Array; gzip: Uint8Array }>>();
  const load = async (file: string) => {
    const bytes = await Deno.readFile(join(dir, file));
    return { bytes, gzip: await gzip(bytes) };
  };
  return new Hono().get(`${ASSET_PREFIX}:file`, async (c) => {
    const file = c.req.param("file");
    const type = TYPES[file.slice(file.lastIndexOf("."))];
    if (!type || !manifest().files.includes(file)) return c.notFound();
    let entry = cache.get(file);
    if (!entry) {
      cache.set(file, entry = load(file));
      entry.catch(() => cache.delete(file));
    }
    const { bytes, gzip: zipped } = await entry;
    const zip = acceptsGzip(c.req.header("accept-encoding"));
    const headers: Record<string, string> = {
      "Content-Type": type,
      "Cache-Control": "public, max-age=31536000, immutable",
      Vary: "Accept-Encoding",
    };
    if (zip) headers["Content-Encoding"] = "gzip";
    return c.body((zip ? zipped : bytes) as Uint8Array<ArrayBuffer>, 200, headers);
  });
}
