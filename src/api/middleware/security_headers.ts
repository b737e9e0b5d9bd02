/** Security headers on every answer: no MIME sniffing, no framing, and a strict CSP on any HTML page that has none. */
import type { Context } from "hono";
import type { AppEnv } from "../router.ts";

/**
 * The site's policy: scripts only from this origin (island props are JSON, never executed; no
 * 'unsafe-inline'), images from here, TMDB's poster host or inline SVG data; nothing may frame it.
 */
export const PAGE_CSP = "default-src 'self'; img-src 'self' https://image.tmdb.org data:; " +
  "style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * Sets `X-Content-Type-Options: nosniff` on the finished answer; on HTML, `X-Frame-Options: DENY`,
 * `Referrer-Policy: same-origin` and {@link PAGE_CSP} unless the page set its own policy.
 */
export function applySecurityHeaders(c: Context<AppEnv>): void {
  let h = c.res.headers;
  try {
    h.set("X-Content-Type-Options", "nosniff");
  } catch {
    // A Response with immutable headers (Response.redirect, a fetched one): copy it.
    c.res = new Response(c.res.body, c.res);
    h = c.res.headers;
    h.set("X-Content-Type-Options", "nosniff");
  }
  if (!(h.get("content-type") ?? "").startsWith("text/html")) return;
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", PAGE_CSP);
  h.set("X-Frame-Options", "DENY");
  if (!h.has("Referrer-Policy")) h.set("Referrer-Policy", "same-origin");
}
