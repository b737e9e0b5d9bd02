/** The built site assets: one hashed entry per island, names that follow content, immutable caching, nothing outside the manifest. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { gunzip } from "../../../src/snapshot/codec.ts";
import { assetRoutes, DIST_DIR, readManifest } from "../../../web/assets.ts";
import { islandNames } from "../../../web/build.ts";

const manifest = readManifest();

Deno.test("every file in web/islands has a content-hashed entry in the build manifest", () => {
  assert.deepEqual(Object.keys(manifest.islands).sort(), islandNames());
  for (const [name, file] of Object.entries(manifest.islands)) {
    const bytes = Deno.readFileSync(`${DIST_DIR}/${file}`);
    const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    assert.equal(file, `${name}-${hash}.js`);
  }
  assert.match(manifest.css, /^site-[0-9a-f]{12}\.css$/);
});

Deno.test("assets are served with a year-long immutable cache, and names outside the manifest are 404", async () => {
  const app = new Hono().route("/", assetRoutes(() => manifest));
  const js = await app.request(`/static/${manifest.islands.RecommendationGrid}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.ok((await js.text()).length > 100);
  const css = await app.request(`/static/${manifest.css}`);
  assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  await css.body?.cancel();
  for (const path of ["/static/manifest.json", "/static/..%2Fbuild.ts", "/static/nope.js"]) {
    assert.equal((await app.request(path)).status, 404, path);
  }
});

// A file and every chunk it imports statically (an `import("./x.js")` on demand is not followed).
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = Deno.readTextFileSync(`${DIST_DIR}/${file}`);
    for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) visit(m[1]);
  };
  visit(entry);
  return seen;
}

const bytesOf = (files: Iterable<string>) =>
  [...files].reduce((n, f) => n + Deno.statSync(`${DIST_DIR}/${f}`).size, 0);

Deno.test("the home page's JavaScript (its island and the chunks it imports) stays well under 100 KB", () => {
  // Static imports only: uPlot is imported on demand by the chart island, the in-browser ranker
  // by this one only for a visitor who ranks in the browser (see the next test).
  const seen = staticGraph(manifest.islands.RecommendationGrid);
  const total = bytesOf(seen);
  assert.ok(total < 50_000, `${total} bytes over ${[...seen].join(", ")}`);
  assert.ok(![...seen].some((f) => f.startsWith("uPlot") || f.startsWith("browser_ranker")));
});

Deno.test("the in-browser ranker (model, features, kernel host) is a chunk the grid loads only on demand, under 100 KB", () => {
  const grid = Deno.readTextFileSync(`${DIST_DIR}/${manifest.islands.RecommendationGrid}`);
  const lazy = [...grid.matchAll(/import\("\.\/([^"]+\.js)"\)/g)].map((m) => m[1]);
  const ranker = lazy.find((f) => f.startsWith("browser_ranker-"));
  assert.ok(ranker, `no on-demand import of the ranker in ${lazy.join(", ")}`);
  const home = staticGraph(manifest.islands.RecommendationGrid);
  const own = [...staticGraph(ranker)].filter((f) => !home.has(f));
  const total = bytesOf(own);
  assert.ok(total < 100_000, `${total} bytes over ${own.join(", ")}`);
  // The one feature encoding and the one Recommender, bundled, not copies.
  const text = Deno.readTextFileSync(`${DIST_DIR}/${ranker}`);
  assert.match(text, /reelrank-next-item/);
});

Deno.test("the kernel is in the build under a content hash and served as application/wasm", async () => {
  const built = Deno.readFileSync(new URL("../../../wasm/build/kernel.wasm", import.meta.url));
  const hash = createHash("sha256").update(built).digest("hex").slice(0, 12);
  assert.equal(manifest.kernel, `kernel-${hash}.wasm`);
  const app = new Hono().route("/", assetRoutes(() => manifest));
  const res = await app.request(`/static/${manifest.kernel}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/wasm");
  assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
  const served = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(served, built);
  assert.ok(WebAssembly.validate(served));
});

Deno.test("assets are gzipped for clients that accept it and sent as they are to others", async () => {
  const app = new Hono().route("/", assetRoutes(() => manifest));
  const path = `/static/${manifest.islands.RecommendationGrid}`;
  const plain = new Uint8Array(await (await app.request(path)).arrayBuffer());
  assert.deepEqual(plain, Deno.readFileSync(`${DIST_DIR}/${manifest.islands.RecommendationGrid}`));
  const zipped = await app.request(path, { headers: { "accept-encoding": "gzip, br" } });
  assert.equal(zipped.headers.get("content-encoding"), "gzip");
  assert.equal(zipped.headers.get("vary"), "Accept-Encoding");
  const body = new Uint8Array(await zipped.arrayBuffer());
  assert.ok(body.length < plain.length, `${body.length} vs ${plain.length}`);
  assert.deepEqual(await gunzip(body, { maxBytes: 1 << 30, name: "asset" }), plain);
});
