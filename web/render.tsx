/** Renders a page to a complete HTML document: the layout around it, and a module script per island it used (none otherwise). */
import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import { ASSET_PREFIX, type AssetManifest } from "./assets.ts";
import { Layout, type Section } from "./components/layout.tsx";
import { IslandCollector, IslandContext } from "./island.tsx";

/** What every page render needs besides its body. */
export interface PageOptions {
  title: string;
  section: Section;
  manifest: AssetManifest;
}

/** The page as HTML; throws when an island it used is missing from the build. */
export function renderPage(body: ComponentChildren, options: PageOptions): string {
  const collector = new IslandCollector();
  const html = renderToString(
    <IslandContext.Provider value={collector}>
      <Layout
        title={options.title}
        section={options.section}
        css={ASSET_PREFIX + options.manifest.css}
      >
        {body}
      </Layout>
    </IslandContext.Provider>,
  );
  const scripts = collector.used.map((name) => {
    const file = options.manifest.islands[name];
    if (!file) {
      throw new Error(
        `island ${name} is not in the site build (web/islands/${name}.tsx): run deno task build`,
      );
    }
    return `<script type="module" src="${ASSET_PREFIX}${file}"></script>`;
  }).join("");
  return `<!doctype html>${html.replace("</body>", `${scripts}</body>`)}`;
}
