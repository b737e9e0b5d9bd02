/** The document around every page: head, header with navigation, main, footer. */
import type { ComponentChildren } from "preact";

/** Which part of the site a page belongs to (highlighted in the navigation). */
export type Section =
  | "home"
  | "movie"
  | "pipeline"
  | "runs"
  | "registry"
  | "data"
  | "drift"
  | "error";

// A film-frame glyph in the site's accent colour, inline so the browser asks for no favicon.
const ICON = "data:image/svg+xml," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#c2410c"/><path d="M5 4l7 4-7 4z" fill="#fff"/></svg>',
);

const ADMIN: { section: Section; href: string; label: string }[] = [
  { section: "pipeline", href: "/admin/pipeline", label: "Pipeline" },
  { section: "runs", href: "/admin/runs", label: "Runs" },
  { section: "registry", href: "/admin/registry", label: "Registry" },
  { section: "data", href: "/admin/data", label: "Data" },
  { section: "drift", href: "/admin/drift", label: "Drift" },
];

/** The page shell. */
export function Layout(
  { title, section, css, children }: {
    title: string;
    section: Section;
    css: string;
    children: ComponentChildren;
  },
) {
  const link = (s: Section, href: string, label: string) => (
    <a href={href} aria-current={s === section ? "page" : undefined}>{label}</a>
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · reelrank`}</title>
        <link rel="icon" href={ICON} />
        <link rel="stylesheet" href={css} />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">reelrank</a>
          <nav aria-label="Site">
            {link("home", "/", "Recommendations")}
            <span class="nav-group" aria-label="Admin">
              {ADMIN.map((a) => link(a.section, a.href, a.label))}
            </span>
            <a href="/docs">API</a>
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer class="bottom">
          reelrank · <a href="/openapi.json">OpenAPI</a> · movie data: MovieLens (GroupLens) or TMDB
        </footer>
      </body>
    </html>
  );
}
