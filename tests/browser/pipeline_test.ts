/** The pipeline pages in Chromium: the runs × tasks grid, a run's DAG, Gantt chart and logs, triggering and re-running with the token. */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { DAGS, recommendDag } from "../../pipelines/recommend_dag.ts";
import { smallRunParams } from "../fixtures/sequences/params.ts";
import { backends, withDatabase } from "../helpers/db.ts";
import { ADMIN_TOKEN } from "../helpers/serving.ts";
import {
  assertClean,
  browserTest,
  launchBrowser,
  screenshot,
  type SiteServer,
  startSite,
  watchPage,
} from "./support.ts";

const TASKS = recommendDag.tasks.map((t) => t.id);

/** The states of one column of the grid (a run), top to bottom. */
const column = (page: Page, runId: string) =>
  page.locator(`td a[href^="/admin/pipeline/runs/${runId}#"]`).evaluateAll((els) =>
    els.map((e) => (e as HTMLElement).dataset.state)
  );

/** One failed run (ingest cannot read its folder) and one that succeeds, on the fixture's data. */
async function seedRuns(site: SiteServer): Promise<{ failed: string; done: string }> {
  const engine = site.fixture.engine;
  const failed = await engine.run({
    dag: "recommend",
    trigger: "manual",
    params: { source: "movielens", path: "/nonexistent/ml" },
  });
  const done = await engine.run({
    dag: "recommend",
    trigger: "schedule",
    params: { source: "none", ...smallRunParams({ epochs: 2 }) },
  });
  assert.equal(done.status, "success", done.statusReason ?? "");
  return { failed: failed.id, done: done.id };
}

for (const backend of backends()) {
  browserTest(
    `the pipeline pages show runs, the DAG, durations and logs, and start runs with the token [${backend}]`,
    () =>
      withDatabase(backend, async (db) => {
        const site = await startSite(db, { engine: { dags: DAGS, clock: () => new Date() } });
        const browser = await launchBrowser();
        try {
          const runs = await seedRuns(site);
          const page = await browser.context.newPage();
          const problems = watchPage(page, site.url);

          // The grid: a row per task, a column per run, each cell coloured by its state.
          await page.goto(`${site.url}/admin/pipeline`, { waitUntil: "networkidle" });
          assert.deepEqual(
            await page.locator("table.pipeline-grid tbody th").allTextContents(),
            TASKS,
          );
          assert.deepEqual(await column(page, runs.failed), [
            "failed",
            ...Array(7).fill("upstream_failed"),
          ]);
          assert.deepEqual(await column(page, runs.done), Array(8).fill("success"));
          assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), "Pipeline");
          const failedColour = await page.locator(
            `a[href="/admin/pipeline/runs/${runs.failed}#task-ingest"]`,
          )
            .evaluate((e) => getComputedStyle(e).backgroundColor);
          const doneColour = await page.locator(
            `a[href="/admin/pipeline/runs/${runs.done}#task-ingest"]`,
          )
            .evaluate((e) => getComputedStyle(e).backgroundColor);
          assert.notEqual(failedColour, doneColour);
          await screenshot(page, `pipeline-${backend}`);
          assertClean(problems, "pipeline grid");

          // Without the token the server refuses to start a run.
          await page.waitForSelector('[data-island="TriggerButton"][data-hydrated]', {
            state: "attached",
          });
          await page.click("text=Trigger a run");
          await page.waitForSelector("text=/Refused: .*admin/");
          assert.deepEqual(problems.errorResponses, [`401 ${site.url}/api/v1/pipeline/runs`]);
          assertClean(problems, "refused trigger", [/401/]);
          assert.equal((await site.fixture.engine.listRuns()).items.length, 2);

          // A run's page: the DAG drawn, durations as bars, attempts with their logs.
          await page.click(`a[href="/admin/pipeline/runs/${runs.done}#task-train"]`);
          await page.waitForSelector("svg.dag");
          assert.equal(await page.locator("svg.dag [data-task]").count(), 8);
          assert.equal(await page.locator("svg.dag [data-edge]").count(), 9);
          assert.ok(await page.locator('svg.dag [data-edge="features>evaluate"]').count());
          assert.equal(await page.locator("svg.gantt rect").count(), 8);
          assert.match(
            await page.locator("#task-train .log").textContent() ?? "",
            /member 1 epoch 1: loss/,
          );
          assert.match(
            await page.locator("#task-train .result").textContent() ?? "",
            /"checkpoint":\{"key":"runs\//,
          );
          await screenshot(page, `pipeline-run-${backend}`);
          assertClean(problems, "run page");

          // With the token: re-run the finished run from publish; the page follows it to success.
          await page.fill("input[type=password]", ADMIN_TOKEN);
          await page.click("text=Use this token");
          await page.selectOption(".trigger select", "publish");
          await Promise.all([
            page.waitForURL((u) =>
              u.pathname.startsWith("/admin/pipeline/runs/") && !u.pathname.endsWith(runs.done)
            ),
            page.click(".trigger button"),
          ]);
          const rerun = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
          assert.notEqual(rerun, runs.done);
          await page.waitForSelector('[data-status="success"]', { timeout: 60_000 });
          const stored = await site.fixture.engine.getRun(rerun);
          assert.equal(stored.fromRunId, runs.done);
          assert.deepEqual(stored.tasks.map((t) => t.status), [
            ...Array(7).fill("reused"),
            "success",
          ]);
          assert.ok(
            !page.url().includes(ADMIN_TOKEN) && !(await page.content()).includes(ADMIN_TOKEN),
          );
          await screenshot(page, `pipeline-rerun-${backend}`);
          assertClean(problems, "re-run");
        } finally {
          await browser.close();
          await site.close();
        }
      }),
  );
}
