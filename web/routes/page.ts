/** Shared by the page routes: answering with a rendered page (and its security headers), and the error page. */
import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import type { AssetManifest } from "../assets.ts";
import type { Section } from "../components/layout.tsx";
import { PAGE_CSP } from "../../src/api/middleware/security_headers.ts";
import { renderPage } from "../render.tsx";

/** The site's Content-Security-Policy (one definition, beside the app's other security headers). */
export const CSP = PAGE_CSP;

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
