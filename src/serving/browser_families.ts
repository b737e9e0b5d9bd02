/** Which model families a page ranks with in the visitor's browser, and why the others rank on the server. */

/**
 * Families the site's in-browser ranker opens: web/client/browser_ranker.ts bundles only the
 * MLP's loader (`src/model/browser.ts`), whose checkpoint is a few MB on any catalogue.
 */
export const BROWSER_FAMILIES: readonly string[] = ["mlp"];

/**
 * Why a page cannot rank with a version of `family` itself, or null when it can. Versions
 * registered before families (null) are MLPs. The reason completes "Ranked on the server: …".
 */
export function browserFamilyProblem(family: string | null): string | null {
  const f = family ?? "mlp";
  if (BROWSER_FAMILIES.includes(f)) return null;
  if (f === "ease") {
    return "the production model is EASE, whose movies × movies weights are too large to download";
  }
  return `the production model is ${f}; this page ranks only ${
    BROWSER_FAMILIES.join(", ")
  } models itself`;
}
