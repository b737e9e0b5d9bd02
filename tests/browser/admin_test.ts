/** The admin pages in Chromium: runs and their charts, comparing runs, promote and rollback with and without the token, data. */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { MODEL_NAME } from "../../src/registry/store.ts";
import { backends, withDatabase } from "../helpers/db.ts";
import { ADMIN_TOKEN } from "../helpers/serving.ts";
import {
  assertClean,
  browserTest,
  launchBrowser,
  screenshot,
  startSite,
  watchPage,
} from "./support.ts";

/** Opaque pixels drawn on the canvas of the page's first chart. */
function drawnPixels(page: Page): Promise<number> {
  return page.locator(".chart").first().locator("canvas").evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
}

/** The version holding the production badge on the registry page. */
const productionRow = (page: Page) =>
  page.getAttribute("tr:has(.alias-production)", "data-version").then(Number);

for (const backend of backends()) {
  browserTest(
    `the admin pages work in a real browser and need the token to move production [${backend}]`,
    () =>
      withDatabase(backend, async (db) => {
        const site = await startSite(db);
        const browser = await launchBrowser();
        try {
          const page = await browser.context.newPage();
          const problems = watchPage(page, site.url);

          // Runs: a table, then a run page whose charts draw on their canvases.
          await page.goto(`${site.url}/admin/runs`, { waitUntil: "networkidle" });
          assert.equal(await page.locator("tbody tr").count(), 2);
          await screenshot(page, `runs-${backend}`);
          await page.click("tbody tr:first-child td a");
          await page.waitForSelector(".chart-box canvas");
          await page.waitForFunction(() =>
            document.querySelectorAll(".chart-box canvas").length === 2
          );
          assert.ok((await drawnPixels(page)) > 500, "the loss chart is empty");
          assert.match(
            await page.locator(".chart").first().locator(".u-legend").textContent() ?? "",
            /member 1/,
          );
          await screenshot(page, `run-${backend}`);
          assertClean(problems, "run page");

          // Compare: tick both runs; their curves share one chart.
          await page.goto(`${site.url}/admin/runs`);
          await page.check("tbody tr:nth-child(1) input[type=checkbox]");
          await page.check("tbody tr:nth-child(2) input[type=checkbox]");
          await page.click("text=Compare the ticked runs");
          await page.waitForSelector(".chart-box canvas");
          assert.equal(
            await page.locator(".chart").first().locator(".u-legend .u-series").count(),
            3,
          );
          assert.ok((await drawnPixels(page)) > 500);
          await screenshot(page, `compare-${backend}`);
          assertClean(problems, "compare page");

          // Registry without the token: the server refuses and production stays.
          await page.goto(`${site.url}/admin/registry`, { waitUntil: "networkidle" });
          await page.waitForSelector('[data-island="AliasButton"][data-hydrated]', {
            state: "attached",
          });
          const production = await productionRow(page);
          const other = production === 1 ? 2 : 1;
          await page.click(`text=Promote version ${other}`);
          await page.waitForSelector("text=/Refused: .*admin/");
          assert.equal(
            (await site.fixture.ctx.registry.getAlias(MODEL_NAME, "production"))?.version,
            production,
          );
          assert.deepEqual(problems.errorResponses, [
            `401 ${site.url}/api/v1/models/${other}/promote`,
          ]);
          assertClean(problems, "refused promotion", [/401/]);

          // With the token (typed once, kept in sessionStorage, never in the URL): promote, then roll back.
          await page.fill("input[type=password]", ADMIN_TOKEN);
          await page.click("text=Use this token");
          await page.waitForSelector("text=Admin token saved for this tab.");
          assert.equal(
            await page.evaluate(() => sessionStorage.getItem("reelrank.adminToken")),
            ADMIN_TOKEN,
          );
          await Promise.all([
            page.waitForEvent("load"),
            page.click(`text=Promote version ${other}`),
          ]);
          assert.equal(await productionRow(page), other);
          assert.equal(site.fixture.serving.version(), other);
          await Promise.all([page.waitForEvent("load"), page.click("text=Roll back production")]);
          assert.equal(await productionRow(page), production);
          assert.ok(!page.url().includes(ADMIN_TOKEN));
          assert.ok(!(await page.content()).includes(ADMIN_TOKEN), "the token is in the page");
          await screenshot(page, `registry-${backend}`);
          assertClean(problems, "registry page");

          // Data: counts, and no script on a page without islands.
          await page.goto(`${site.url}/admin/data`, { waitUntil: "networkidle" });
          assert.match(await page.textContent(".stats") ?? "", /180\s*movies/);
          assert.equal(await page.locator("script").count(), 0);
          await screenshot(page, `data-${backend}`);
          assertClean(problems, "data page");
        } finally {
          await browser.close();
          await site.close();
        }
      }),
  );
}
