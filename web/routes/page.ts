/** Shared by the page routes: answering with a rendered page (and its security headers), and the error page. */
import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import type { AssetManifest } from "../assets.ts";
import type { Section } from "../components/layout.tsx";
import { renderPage } from "../render.tsx";

/**
 * Scripts only from this origin (island props are JSON, never executed) plus compiling WebAssembly
 * ('wasm-unsafe-eval': the kernel a visitor's browser ranks with; no eval of JavaScript), images
 * from here, TMDB's poster host or inline SVG data; nothing may frame the site.
 */
export const CSP = "default-src 'self'; img-src 'self' https://image.tmdb.org data:; " +
  "style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'";

/** Answers with the page as HTML. */
export function page(
  c: Context,
  body: ComponentChildren,
  options: { title: string; section: Section; manifest: AssetManifest; status?: number },
): Response {
  const html = renderPage(body, options);
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  return c.html(html, (options.status ?? 200) as 200);
}
