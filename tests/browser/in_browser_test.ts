/** In-browser ranking in Chromium: no request carries the history, impressions name only shown movies, the same top 10 and explanations as the server, the figures, new versions, damaged downloads, the fallbacks (no SIMD, a family the page cannot run). */
import assert from "node:assert/strict";
import type { Page, Request } from "playwright-core";
import {
  type BrowserAnswer,
  rankedHere,
  rankInBrowser,
  readCards,
  seedHistory,
} from "../../src/bench/browser.ts";
import { MODEL_NAME } from "../../src/registry/store.ts";
import { Prng } from "../../src/random.ts";
import { withDatabase } from "../helpers/db.ts";
import { postJson } from "../helpers/serving.ts";
import {
  assertClean,
  browserTest,
  launchBrowser,
  screenshot,
  type SiteServer,
  startSite,
  watchPage,
} from "./support.ts";

type History = { id: number; title: string }[];

// 20 visitor histories over the fixture's six 30-movie chains: runs of a chain with a few strays.
function histories(n: number): History[] {
  const rand = new Prng(12);
  return Array.from({ length: n }, () => {
    const chain = rand.int(6);
    const length = 1 + rand.int(20);
    const start = rand.int(30 - Math.min(length, 29));
    const ids = Array.from(
      { length },
      (_, i) => rand.next() < 0.15 ? 1 + rand.int(180) : 1 + 30 * chain + ((start + i) % 30),
    );
    return [...new Set(ids)].map((id) => ({ id, title: `Movie ${id}` }));
  });
}

interface ServerItem {
  id: number;
  score: number;
  because: { id: number }[];
}

async function serverAnswer(
  site: SiteServer,
  history: History,
  genre?: string,
): Promise<ServerItem[]> {
  const res = await site.fixture.app.request(
    "/api/v1/recommendations",
    postJson({ history: history.map((m) => m.id), k: 10, explain: true, genre }),
  );
  return (await res.json()).items;
}

// Identical, except where the server's scores tie (then either order is right).
function assertSameRanking(here: BrowserAnswer, server: ServerItem[], what: string): number {
  assert.equal(here.ids.length, server.length, what);
  let ties = 0;
  server.forEach((s, i) => {
    if (here.ids[i] === s.id) {
      assert.deepEqual(here.because[i], s.because.map((b) => b.id), `${what}, movie ${s.id}`);
      return;
    }
    const tied = server.some((o, j) => j !== i && o.score === s.score);
    assert.ok(tied, `${what}: position ${i + 1} is ${here.ids[i]} here, ${s.id} on the server`);
    ties++;
  });
  return ties;
}

const ALLOWED = [
  /^\/$/,
  /^\/static\/[\w.-]+$/,
  /^\/api\/v1\/models\/production$/,
  /^\/api\/v1\/models\/\d+\/artifact$/,
  /^\/api\/v1\/catalog\/[0-9a-f]{64}$/,
];

/** A request the page made, with the visitor's history (movie ids) in the browser at the time. */
interface Sent {
  r: Request;
  history: readonly number[];
}

// The integers a request carries: its all-digit path segments (except the model version an
// artifact's path names), its query's values and every number of its body (except the impression's
// modelVersion). A movie id of the history could travel in no other way.
function carried(r: Request): number[] {
  const url = new URL(r.url());
  const segments = url.pathname.replace(/^\/api\/v1\/models\/\d+\/artifact$/, "").split("/");
  const nums = segments.filter((p) => /^\d+$/.test(p)).map(Number);
  for (const v of url.searchParams.values()) nums.push(...(v.match(/\d+/g) ?? []).map(Number));
  const body = r.postData();
  if (body === null) return nums;
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === "number" && key !== "modelVersion") nums.push(v);
    else if (typeof v === "string") nums.push(...(v.match(/^\d+$/) ? [Number(v)] : []));
    else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, x]) => walk(x, k));
  };
  try {
    walk(JSON.parse(body));
  } catch {
    nums.push(...(body.match(/\d+/g) ?? []).map(Number));
  }
  return nums;
}

/**
 * No request carries a movie of the history the page held when it was made — except, when the
 * visitor chose the server, `POST /api/v1/recommendations`, whose `history` is exactly it.
 *
 * In the browser (`mode: "browser"`) no request carries a history at all: each is a `GET` without
 * a body or a query to one of the ALLOWED paths, or the impression report
 * `POST /api/v1/impressions {visitorId, modelVersion, movieIds}`, whose `movieIds` are exactly the
 * cards of an answer shown (`shown`); and every shown answer was reported.
 */
function assertPrivate(
  sent: readonly Sent[],
  o: { mode: "browser" | "server"; shown: readonly (readonly number[])[] },
): void {
  assert.ok(sent.length > 0);
  const reported: number[][] = [];
  for (const { r, history } of sent) {
    const url = new URL(r.url());
    const what = `${r.method()} ${r.url()} ${r.postData() ?? ""}`;
    assert.ok(history.length > 0, `${what}: the test gave no history`);
    if (r.method() === "POST" && url.pathname === "/api/v1/recommendations") {
      assert.equal(o.mode, "server", `in the browser, nothing asks the server to rank: ${what}`);
      assert.deepEqual(JSON.parse(r.postData()!).history, history, what);
      continue;
    }
    const leaked = carried(r).filter((id) => history.includes(id));
    assert.deepEqual(leaked, [], `${what} carries watched movies`);
    if (r.method() === "POST" && url.pathname === "/api/v1/impressions") {
      assert.equal(o.mode, "browser", `the server logs its own impressions: ${what}`);
      const body = JSON.parse(r.postData()!);
      assert.deepEqual(Object.keys(body).sort(), ["modelVersion", "movieIds", "visitorId"], what);
      assert.ok(o.shown.some((ids) => ids.join() === body.movieIds.join()), `not shown: ${what}`);
      reported.push(body.movieIds);
      continue;
    }
    assert.equal(r.method(), "GET", what);
    assert.equal(r.postData(), null, what);
    assert.equal(url.search, "", what);
    assert.ok(ALLOWED.some((re) => re.test(url.pathname)), what);
  }
  if (o.mode === "browser") {
    for (const ids of o.shown) {
      assert.ok(reported.some((r) => r.join() === ids.join()), `never reported: ${ids}`);
    }
  }
}

const count = (sent: readonly Sent[], re: RegExp) =>
  sent.filter(({ r }) => re.test(new URL(r.url()).pathname)).length;

const cacheKeys = (page: Page) =>
  page.evaluate(async () =>
    (await (await caches.open("reelrank-model")).keys()).map((r) => new URL(r.url).pathname).sort()
  );

interface Visit {
  site: SiteServer;
  browser: Awaited<ReturnType<typeof launchBrowser>>;
  page: Page;
  problems: ReturnType<typeof watchPage>;
  /** Every request the page made, in order, with `now.history` as it was then. */
  requests: Sent[];
  /** The visitor's history as the page holds it now (the test keeps it up to date). */
  now: { history: readonly number[] };
}

const ids = (h: History) => h.map((m) => m.id);

// A site, a fresh browser and a watched page. The in-browser behaviour does not depend on the
// database, so one backend is enough.
function visitorTest(name: string, fn: (v: Visit) => Promise<void>): void {
  browserTest(name, () =>
    withDatabase("pglite", async (db) => {
      const site = await startSite(db);
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        const requests: Sent[] = [];
        const now = { history: [] as readonly number[] };
        page.on("request", (r) => requests.push({ r, history: now.history }));
        await fn({ site, browser, page, problems: watchPage(page, site.url), requests, now });
      } finally {
        await browser.close();
        await site.close();
      }
    }));
}

visitorTest(
  "a visitor's movies are ranked in the browser: no request carries them, and the top 10 and explanations match the server's",
  async ({ site, page, problems, requests, now }) => {
    const sets = histories(20);
    const { answers, figures } = await rankInBrowser(page, site.url, sets, {
      onVisit: (h) => now.history = ids(h),
    });
    console.log(
      `in-browser ranking on the test fixture (${site.fixture.serving.catalog().ids().length} ` +
        `movies, load ${Deno.loadavg()[0].toFixed(2)}): ${JSON.stringify(figures)}`,
    );
    let ties = 0;
    for (const [i, h] of sets.entries()) {
      ties += assertSameRanking(answers[i], await serverAnswer(site, h), `history ${i}`);
    }
    console.log(`parity: 20 histories, ${ties} positions differing only by tied scores`);
    assert.ok(answers.some((a) => a.because.some((b) => b.length > 0)), "nothing explained");
    assert.ok(figures.downloads.artifact && figures.downloads.artifact.encodedBytes > 0);
    // Downloaded once: later loads took the model from Cache Storage.
    assert.equal(count(requests, /\/artifact$/), 1);
    assert.equal(count(requests, /^\/api\/v1\/catalog\//), 1);

    // Watched and the genre filter also stay in the page.
    const last = sets.at(-1)!;
    const [first] = answers.at(-1)!.ids;
    const longer = [...last, { id: first, title: `Movie ${first}` }];
    now.history = ids(longer);
    await page.click(`.card[data-movie-id="${first}"] button.watch`);
    await rankedHere(page, last.length + 1);
    const watched = await readCards(page);
    assertSameRanking(watched, await serverAnswer(site, longer), "after Watched");
    await page.selectOption('select[name="genre"]', "Comedy");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".card-meta")].every((e) => /Comedy/.test(e.textContent!))
    );
    await rankedHere(page, longer.length);
    const comedy = await readCards(page);
    assertSameRanking(comedy, await serverAnswer(site, longer, "Comedy"), "Comedy only");
    const because = await page.locator(".card .because a").first();
    assert.match(await because.getAttribute("href") ?? "", /^\/movies\/\d+$/);
    assert.match(await page.textContent(".card .because") ?? "", /^Because you watched /);
    await screenshot(page, "home-visitor-in-browser");

    // 20 page loads, Watched and the genre: 22 answers ranked here, each reported by its ids.
    const shown = [...answers, watched, comedy].map((a) => a.ids);
    assertPrivate(requests, { mode: "browser", shown });
    assertClean(problems, "in-browser ranking");
  },
);

visitorTest(
  "the page downloads a new production version in the background, refuses damaged copies, and ranks on the server when chosen or when the browser cannot",
  async ({ site, browser, page, problems, requests, now }) => {
    const history = histories(1)[0];
    now.history = ids(history);
    const shown: number[][] = [];
    await seedHistory(page, history);
    await page.goto(`${site.url}/`);
    await rankedHere(page, history.length);
    shown.push((await readCards(page)).ids);
    assert.match(await page.textContent(".recs-title") ?? "", /by model version 2$/);

    // A new production version: noticed when the page looks again, fetched, swapped in.
    await site.fixture.ctx.registry.promote(MODEL_NAME, 1);
    await site.fixture.serving.watcher.check();
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await page.waitForFunction(() =>
      /by model version 1$/.test(document.querySelector(".recs-title")?.textContent ?? "")
    );
    assert.match(await page.textContent(".status") ?? "", /Model version 1 was downloaded/);
    const v1 = await readCards(page);
    shown.push(v1.ids);
    assertSameRanking(v1, await serverAnswer(site, history), "version 1");
    assert.deepEqual(await cacheKeys(page), [
      "/api/v1/catalog/" + (await (await site.fixture.app.request(
        "/api/v1/models/production",
      )).json()).catalog.sha256,
      "/api/v1/models/1/artifact",
      "/api/v1/models/production",
    ]);
    assertPrivate(requests, { mode: "browser", shown });

    // A damaged stored copy is dropped and downloaded again.
    const before = count(requests, /\/artifact$/);
    await page.evaluate(async () => {
      const cache = await caches.open("reelrank-model");
      await cache.put("/api/v1/models/1/artifact", new Response("not a model"));
    });
    await page.reload();
    await rankedHere(page, history.length);
    shown.push((await readCards(page)).ids);
    assert.equal(count(requests, /\/artifact$/), before + 1);

    // A damaged download is never used, and nothing is sent to the server instead.
    await page.evaluate(() => caches.delete("reelrank-model"));
    await page.route("**/api/v1/models/*/artifact", (r) => r.fulfill({ body: "tampered" }));
    await page.reload();
    await page.waitForFunction(() =>
      /arrived damaged/.test(document.querySelector(".status")?.textContent ?? "")
    );
    assert.match(await page.textContent(".recs-title") ?? "", /^Popular movies/);
    assertPrivate(requests, { mode: "browser", shown });
    await page.unroute("**/api/v1/models/*/artifact");

    // Choosing the server: the history is sent to be ranked, nothing else; the choice is kept.
    const chosen = requests.length;
    await page.uncheck('input[name="in-browser"]');
    const server = `Recommended from your ${history.length} watched movies by model version 1`;
    await page.waitForFunction(
      (t) => document.querySelector(".recs-title")?.textContent === t,
      server,
    );
    assert.ok(
      requests.some(({ r }) =>
        r.method() === "POST" && r.url().endsWith("/api/v1/recommendations")
      ),
    );
    await page.reload();
    await page.waitForFunction(
      (t) => document.querySelector(".recs-title")?.textContent === t,
      server,
    );
    assert.equal(await page.isChecked('input[name="in-browser"]'), false);
    assertPrivate(requests.slice(chosen), { mode: "server", shown: [] });
    assertClean(problems, "updates and the server choice", [/\/artifact/]);

    // A browser without WebAssembly SIMD ranks on the server, and says why.
    const plain = await browser.context.newPage();
    await plain.addInitScript(() => {
      WebAssembly.validate = () => false;
      localStorage.removeItem("reelrank.visitor.ranking");
    });
    await plain.goto(`${site.url}/`);
    await plain.waitForFunction(
      (t) => document.querySelector(".recs-title")?.textContent === t,
      server,
    );
    assert.equal(await plain.isDisabled('input[name="in-browser"]'), true);
    assert.match(await plain.textContent(".scoring .note") ?? "", /no WebAssembly SIMD/);

    // A production model of a family the page cannot run (the pointer says EASE): ranked on the
    // server, saying why, with nothing downloaded but the pointer.
    const ease = await browser.context.newPage();
    const asked: string[] = [];
    ease.on("request", (r) => asked.push(new URL(r.url()).pathname));
    await ease.addInitScript(() => localStorage.removeItem("reelrank.visitor.ranking"));
    const real = await (await site.fixture.app.request("/api/v1/models/production")).json();
    await ease.route(
      "**/api/v1/models/production",
      (r) => r.fulfill({ json: { ...real, family: "ease", gzipSize: null, artifactUrl: null } }),
    );
    await ease.goto(`${site.url}/`);
    await ease.waitForFunction(
      (t) => document.querySelector(".recs-title")?.textContent === t,
      server,
    );
    assert.equal(await ease.isDisabled('input[name="in-browser"]'), true);
    assert.equal(
      await ease.textContent(".scoring .note"),
      "Ranked on the server: the production model is EASE, whose movies × movies weights are " +
        "too large to download.",
    );
    assert.ok(asked.includes("/api/v1/models/production"), asked.join(", "));
    assert.deepEqual(
      asked.filter((p) => /artifact|catalog|kernel-|browser_ranker-/.test(p)),
      [],
      "downloaded for a model it cannot run",
    );
  },
);
