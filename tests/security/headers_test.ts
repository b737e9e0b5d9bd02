/** Security headers: every HTML page has a CSP without inline scripts and refuses framing; every answer refuses MIME sniffing. */
import assert from "node:assert/strict";
import { dbTest } from "../helpers/db.ts";
import { withFixture } from "../helpers/serving.ts";

/** The directives of a Content-Security-Policy header. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(";").map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...values] = d.split(/\s+/);
      return [name.toLowerCase(), values];
    }),
  );
}

/** Asserts the page's policy: scripts from the site only (WebAssembly compilation may be allowed). */
function assertStrictCsp(csp: string | null, what: string): void {
  assert.ok(csp, `${what} has no Content-Security-Policy`);
  const d = directives(csp);
  const scripts = d.get("script-src") ?? d.get("default-src");
  assert.ok(scripts, `${what}: no script-src nor default-src`);
  for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"]) {
    assert.ok(!scripts.includes(bad), `${what}: script-src allows ${bad}`);
  }
  for (const s of scripts) {
    assert.ok(
      ["'self'", "'wasm-unsafe-eval'", "'none'"].includes(s),
      `${what}: script-src allows ${s}`,
    );
  }
  assert.deepEqual(d.get("frame-ancestors"), ["'none'"], `${what}: frame-ancestors`);
  assert.deepEqual(d.get("object-src"), ["'none'"], `${what}: object-src`);
}

dbTest(
  "every page the app serves, found from its routes, has a strict CSP, nosniff and no framing",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      // Every GET route outside the API, with its parameters filled in; a new page is covered at once.
      const pages = new Set<string>([
        "/?user=3",
        "/?user=999999",
        "/admin/compare?run=a&run=b",
        "/no-such-page",
      ]);
      for (const r of app.routes) {
        if (
          r.method !== "GET" || /^\/(api|static|docs\/assets)\b/.test(r.path) ||
          r.path.includes("*")
        ) continue;
        if (["/openapi.json", "/metrics", "/health", "/ready"].includes(r.path)) continue;
        pages.add(r.path.replace(/:(\w+)(\{[^}]*\})?/g, "1"));
      }
      assert.ok(pages.size >= 9, [...pages].join(", "));
      let html = 0;
      for (const path of pages) {
        const res = await app.request(path);
        await res.body?.cancel();
        assert.ok(res.status < 500, `${path} answered ${res.status}`);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        if (!(res.headers.get("content-type") ?? "").startsWith("text/html")) continue;
        html++;
        assertStrictCsp(res.headers.get("content-security-policy"), path);
        assert.equal(res.headers.get("x-frame-options"), "DENY", path);
        assert.ok(res.headers.get("referrer-policy"), path);
      }
      assert.ok(html >= 8, `only ${html} HTML pages were checked`);
    });
  },
);

dbTest("API answers, errors and metrics refuse MIME sniffing too", async (db) => {
  await withFixture(db, async ({ app }) => {
    for (
      const path of [
        "/api/v1/movies?limit=2",
        "/api/v1/movies/0",
        "/metrics",
        "/openapi.json",
        "/api/nope",
      ]
    ) {
      const res = await app.request(path);
      await res.body?.cancel();
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
  }, { train: false });
});
