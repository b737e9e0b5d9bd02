/** The home page in Chromium (launched with exactly reelrank's flags): a known user's grid and watched toggle, a visitor's local history, and the page's size and speed. */
import assert from "node:assert/strict";
import { CHROMIUM_BINARY, CHROMIUM_FLAGS } from "../../src/bench/chromium.ts";
import { backends, withDatabase } from "../helpers/db.ts";
import {
  assertClean,
  browserTest,
  cardIds,
  launchBrowser,
  screenshot,
  startSite,
  watchPage,
} from "./support.ts";

// The argv of the Chromium browser process (not a renderer or helper: those have --type=) using
// `profile`, read from /proc.
function launchedWith(profile: string): string[] {
  const found: string[][] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let argv: string[];
    try {
      argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0").filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    if (
      argv.includes(`--user-data-dir=${profile}`) && !argv.some((a) => a.startsWith("--type="))
    ) found.push(argv);
  }
  assert.equal(found.length, 1, `browser processes of ${profile}: ${JSON.stringify(found)}`);
  return found[0];
}

for (const backend of backends()) {
  browserTest(
    `the home page works in a real browser for users and visitors [${backend}]`,
    () =>
      withDatabase(backend, async (db) => {
        const site = await startSite(db);
        const browser = await launchBrowser();
        try {
          // Chromium was started with exactly the flags asked for and a fresh profile: the
          // browser process's own argv, found by the profile chrome://version names (that page's
          // command line also shows the switches headless mode adds to itself).
          const about = await browser.context.newPage();
          await about.goto("chrome://version");
          const shown = await about.textContent("#command_line") ?? "";
          await about.close();
          const profile = shown.match(/--user-data-dir=(\S+)/)?.[1] ?? "";
          assert.match(profile, /\/reelrank-chromium-\w+$/);
          assert.deepEqual(launchedWith(profile), [
            CHROMIUM_BINARY,
            ...CHROMIUM_FLAGS,
            `--user-data-dir=${profile}`,
            "--remote-debugging-pipe",
          ]);

          const page = await browser.context.newPage();
          const problems = watchPage(page, site.url);
          const ready = () =>
            page.waitForSelector('[data-island="RecommendationGrid"][data-hydrated]', {
              state: "attached",
            });

          // A known user: 10 cards from the model, measured on this first (cold) load.
          await page.goto(`${site.url}/?user=3`, { waitUntil: "networkidle" });
          await ready();
          const figures = await page.evaluate(() => {
            const nav = performance.getEntriesByType(
              "navigation",
            )[0] as PerformanceNavigationTiming;
            const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
            const js = res.filter((r) => r.name.endsWith(".js"));
            const sum = (xs: PerformanceResourceTiming[]) =>
              xs.reduce((n, r) => n + r.transferSize, 0);
            return {
              ttfbMs: nav.responseStart - nav.requestStart,
              htmlBytes: nav.transferSize,
              totalBytes: nav.transferSize + sum(res),
              jsBytes: sum(js),
              jsFiles: js.length,
            };
          });
          console.log(`home page of user 3 (cold load): ${JSON.stringify(figures)}`);
          const before = await cardIds(page);
          assert.equal(before.length, 10);
          assert.match(await page.textContent(".recs-title") ?? "", /by model version 2/);
          await screenshot(page, `home-user-${backend}`);

          // A card opens its overview from the keyboard.
          await page.focus(".card summary");
          await page.keyboard.press("Enter");
          assert.ok(await page.isVisible(".card >> nth=0 >> .overview"));

          // Watched: the event is stored and the grid refreshes without a page load.
          const watched = before[0];
          await page.click(`.card[data-movie-id="${watched}"] button.watch`);
          await page.waitForSelector(`.card[data-movie-id="${watched}"]`, { state: "detached" });
          const after = await cardIds(page);
          assert.equal(after.length, 10);
          assert.notDeepEqual(after, before);
          const events = await db.query("SELECT user_id, movie_id, type FROM events");
          assert.deepEqual(events.map((e) => [Number(e.user_id), Number(e.movie_id), e.type]), [[
            3,
            watched,
            "watch",
          ]]);
          assertClean(problems, "known user's home");

          // A visitor who chose the server (in_browser_test.ts covers ranking in the browser):
          // popular movies first; three watched movies later the model ranks something else.
          await page.evaluate(() => localStorage.setItem("reelrank.visitor.ranking", "server"));
          const sent: string[] = [];
          page.on("request", (r) =>
            r.url().includes("/api/v1/") &&
            sent.push(`${r.method()} ${new URL(r.url()).pathname}`));
          await page.goto(`${site.url}/`, { waitUntil: "networkidle" });
          await ready();
          assert.match(await page.textContent(".recs-title") ?? "", /^Popular movies/);
          const marked: number[] = [];
          for (let i = 0; i < 3; i++) {
            const [id] = await cardIds(page);
            marked.push(id);
            await page.click(`.card[data-movie-id="${id}"] button.watch`);
            await page.waitForSelector(`.card[data-movie-id="${id}"]`, { state: "detached" });
          }
          await page.waitForFunction(() =>
            /watched movies by model/.test(document.querySelector(".recs-title")?.textContent ?? "")
          );
          const recommended = await cardIds(page);
          const popular = site.fixture.serving.catalog().popular(10, { exclude: new Set(marked) })
            .map((s) => s.movieId);
          assert.equal(recommended.length, 10);
          assert.notDeepEqual(recommended, popular);
          const stored = await page.evaluate(() =>
            JSON.parse(localStorage.getItem("reelrank.visitor.history") ?? "[]")
          );
          assert.deepEqual(stored.map((m: { id: number }) => m.id), marked);
          // The history goes to the ranking only: a visitor's Watched sends no event at all.
          assert.ok(sent.includes("POST /api/v1/recommendations"), sent.join(", "));
          assert.deepEqual(sent.filter((s) => s !== "POST /api/v1/recommendations"), []);
          assert.equal((await db.query("SELECT 1 FROM events")).length, 1, "no visitor event");
          await screenshot(page, `home-visitor-${backend}`);
          assertClean(problems, "visitor's home");

          // The movie page: no island, so no script at all.
          await page.goto(`${site.url}/movies/${marked[0]}`, { waitUntil: "networkidle" });
          assert.equal(await page.locator("script").count(), 0);
          assert.ok((await page.locator(".grid .card").count()) > 0);
          await screenshot(page, `movie-${backend}`);
          assertClean(problems, "movie page");

          // A phone-sized screen in the dark theme: nothing overflows sideways, the colours follow.
          await page.setViewportSize({ width: 390, height: 844 });
          await page.emulateMedia({ colorScheme: "dark" });
          await page.goto(`${site.url}/?user=3`, { waitUntil: "networkidle" });
          assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth));
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, "rgb(22, 20, 18)");
          await screenshot(page, `home-phone-dark-${backend}`);
          assertClean(problems, "phone-sized dark home");
        } finally {
          await browser.close();
          await site.close();
        }
      }),
  );
}
