/** Browser-test support: Debian's Chromium through playwright-core, a real socket on the serving fixture, and a page watcher. */
import type { BrowserContext, Page } from "playwright-core";
import { chromiumMissing, launchChromium } from "../../src/bench/chromium.ts";
import type { Database } from "../../src/db/types.ts";
import { trainAndRegister } from "../../src/model/mod.ts";
import { SMALL_PARAMS } from "../fixtures/sequences/params.ts";
import { type Fixture, type FixtureOptions, servingFixture } from "../helpers/serving.ts";

/** Why the browser tests are skipped, or null when Chromium is installed. */
export function skipReason(): string | null {
  return chromiumMissing();
}

/** Where screenshots go (git-ignored). */
export const OUT_DIR = new URL("./out/", import.meta.url).pathname;

/** A browser test: skipped, naming the package, when Chromium is absent; no sanitizers (a browser has child processes). */
export function browserTest(name: string, fn: () => Promise<void>): void {
  const reason = skipReason();
  if (reason) console.warn(`skipping "${name}": ${reason}`);
  Deno.test({ name, ignore: reason !== null, sanitizeOps: false, sanitizeResources: false, fn });
}

/** A site on a real socket: the fixture (no poster paths, like the bundled data; two runs, two versions). */
export interface SiteServer {
  url: string;
  fixture: Fixture;
  close(): Promise<void>;
}

/** Starts the fixture's app on a free loopback port. */
export async function startSite(
  db: Database,
  options: Pick<FixtureOptions, "engine"> = {},
): Promise<SiteServer> {
  const fixture = await servingFixture(db, {
    ...options,
    prepare: async (ctx) => {
      await ctx.db.query("UPDATE movies SET poster_path = NULL");
      await trainAndRegister(ctx, { params: { ...SMALL_PARAMS, epochs: 3, seed: 5 } });
      await ctx.releaseKernel();
    },
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    fixture.app.fetch,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    fixture,
    async close() {
      await server.shutdown();
      await fixture.close();
    },
  };
}

/** Launches Chromium headless with a fresh profile in a temp dir; `close()` removes it. */
export function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  return launchChromium();
}

/** What went wrong on a page while it was watched. */
export interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests that left the site's origin. */
  foreignRequests: string[];
  /** Answers with status ≥ 400. */
  errorResponses: string[];
}

/** Records console errors, page errors, failed requests, requests to other hosts and error answers. */
export function watchPage(page: Page, origin: string): PageProblems {
  const p: PageProblems = {
    consoleErrors: [],
    failedRequests: [],
    foreignRequests: [],
    errorResponses: [],
  };
  page.on("console", (m) => m.type() === "error" && p.consoleErrors.push(m.text()));
  page.on("pageerror", (e) => p.consoleErrors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => p.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol !== "data:" && u.origin !== origin) p.foreignRequests.push(r.url());
  });
  page.on(
    "response",
    (r) => r.status() >= 400 && p.errorResponses.push(`${r.status()} ${r.url()}`),
  );
  return p;
}

/** Saves a full-page screenshot as out/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const path = `${OUT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Fails with every problem a watched page had; `allow` drops the ones a step provoked on purpose. */
export function assertClean(p: PageProblems, what: string, allow: RegExp[] = []): void {
  const keep = (xs: string[]) => xs.filter((x) => !allow.some((re) => re.test(x)));
  const found = {
    consoleErrors: keep(p.consoleErrors),
    failedRequests: keep(p.failedRequests),
    foreignRequests: p.foreignRequests,
    errorResponses: keep(p.errorResponses),
  };
  const n = Object.values(found).reduce((s, xs) => s + xs.length, 0);
  if (n) throw new Error(`${what}: ${JSON.stringify(found, null, 2)}`);
  for (const xs of Object.values(p)) xs.length = 0;
}

/** Ids of the movie cards on the page, in order. */
export async function cardIds(page: Page): Promise<number[]> {
  return (await page.locator(".card").evaluateAll((els) =>
    els.map((e) => Number((e as HTMLElement).dataset.movieId))
  ));
}
