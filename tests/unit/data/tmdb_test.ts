/** TMDB client against a local fake TMDB: pagination, retries, permanent errors, key hygiene. */
import assert from "node:assert/strict";
import { parseRetryAfter, TmdbClient, type TmdbClientOptions } from "../../../src/data/tmdb.ts";
import { RateLimiter } from "../../../src/data/rate_limiter.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { configureLogging } from "../../../src/log.ts";
import { startFakeTmdb } from "../../fixtures/tmdb/fake_server.ts";
import { TMDB_KEY, TMDB_OTHER_KEY, TMDB_READ_TOKEN } from "../../helpers/secrets.ts";

const KEY = TMDB_KEY;

function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => (sleeps.push(ms), t += ms, Promise.resolve()),
    sleeps,
  };
}

function client(baseUrl: string, extra: Partial<TmdbClientOptions> = {}) {
  const clock = fakeClock();
  const c = new TmdbClient({
    baseUrl,
    apiKey: KEY,
    rateLimit: 1000,
    random: () => 0,
    ...clock,
    ...extra,
  });
  return { c, clock };
}

async function rejects(p: Promise<unknown>): Promise<ReelrankError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ReelrankError, `expected a ReelrankError, got ${err}`);
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("genres() maps TMDB genre ids to names and sends the v3 key as api_key", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  try {
    const genres = await client(tmdb.baseUrl).c.genres({ language: "en-US" });
    assert.equal(genres.size, 19);
    assert.equal(genres.get(878), "Science Fiction");
    assert.equal(tmdb.requests[0].query.get("api_key"), KEY);
    assert.equal(tmdb.requests[0].query.get("language"), "en-US");
  } finally {
    await tmdb.close();
  }
});

Deno.test("a v4 read token goes in the Authorization header and never in the URL", async () => {
  const tmdb = startFakeTmdb({ token: TMDB_READ_TOKEN });
  try {
    const c = new TmdbClient({
      baseUrl: tmdb.baseUrl,
      readToken: TMDB_READ_TOKEN,
      rateLimit: 1000,
      ...fakeClock(),
    });
    await c.genres();
    assert.equal(tmdb.requests[0].authorization, `Bearer ${TMDB_READ_TOKEN}`);
    assert.equal(tmdb.requests[0].query.get("api_key"), null);
  } finally {
    await tmdb.close();
  }
});

Deno.test("popularPages() walks pages with language and region and stops at total_pages", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  try {
    const pages = [];
    for await (
      const p of client(tmdb.baseUrl).c.popularPages(5, { language: "en-US", region: "US" })
    ) pages.push(p);
    assert.deepEqual(pages.map((p) => p.page), [1, 2]);
    assert.equal(pages[0].results.length, 5);
    assert.deepEqual(tmdb.requests.map((r) => r.query.get("page")), ["1", "2"]);
    assert.equal(tmdb.requests[1].query.get("region"), "US");
  } finally {
    await tmdb.close();
  }
});

Deno.test("a 429 is retried after the Retry-After delay and then succeeds", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  tmdb.fail("/movie/popular", {
    status: 429,
    body: '{"status_code":25}',
    headers: { "retry-after": "3" },
  });
  try {
    const { c, clock } = client(tmdb.baseUrl);
    const page = await c.popular(1);
    assert.equal(page.results.length, 5);
    assert.equal(tmdb.requests.length, 2);
    assert.ok(clock.sleeps.includes(3000), `sleeps were ${clock.sleeps}`);
  } finally {
    await tmdb.close();
  }
});

Deno.test("5xx answers are retried with exponential backoff until success", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  tmdb.fail("/movie/popular", { status: 503 }, { status: 502 }, { status: 500 });
  try {
    const { c, clock } = client(tmdb.baseUrl, { random: () => 0.999999 });
    const page = await c.popular(2);
    assert.equal(page.page, 2);
    assert.equal(tmdb.requests.length, 4);
    assert.deepEqual(clock.sleeps.filter((s) => s > 1).map(Math.round), [500, 1000, 2000]);
  } finally {
    await tmdb.close();
  }
});

Deno.test("a 401 fails at once with a permanent error that names the fix and hides the key", async () => {
  const tmdb = startFakeTmdb({ apiKey: TMDB_OTHER_KEY });
  try {
    const err = await rejects(client(tmdb.baseUrl).c.popular(1));
    assert.equal(err.code, "UNAUTHORIZED");
    assert.equal(err.permanent, true);
    assert.match(err.message, /TMDB_API_KEY/);
    assert.ok(!err.message.includes(KEY));
    assert.equal(tmdb.requests.length, 1);
  } finally {
    await tmdb.close();
  }
});

Deno.test("a 404 is a permanent NOT_FOUND naming the base URL", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  try {
    const err = await rejects(client(`${tmdb.baseUrl}/wrong`).c.genres());
    assert.equal(err.code, "NOT_FOUND");
    assert.ok(err.permanent);
    assert.match(err.message, /TMDB_BASE_URL/);
    assert.equal(tmdb.requests.length, 1);
  } finally {
    await tmdb.close();
  }
});

Deno.test("malformed JSON is retried, then reported without the key", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  const bad = { status: 200, body: `<html>oops ${KEY}</html>` };
  tmdb.fail("/movie/popular", bad, bad, bad);
  try {
    const lines: string[] = [];
    configureLogging({ write: (l) => lines.push(l) });
    const err = await rejects(client(tmdb.baseUrl, { maxRetries: 2 }).c.popular(1));
    assert.equal(err.code, "UNAVAILABLE");
    assert.match(err.message, /malformed JSON.*gave up after 3 attempts/);
    assert.ok(!err.message.includes(KEY), err.message);
    assert.ok(lines.length >= 2 && lines.every((l) => !l.includes(KEY)), lines.join("\n"));
  } finally {
    configureLogging({ write: (l) => console.error(l) });
    await tmdb.close();
  }
});

Deno.test("malformed JSON once, then a good answer, succeeds", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  tmdb.fail("/genre/movie/list", { status: 200, body: '{"genres": [' });
  try {
    assert.equal((await client(tmdb.baseUrl).c.genres()).size, 19);
  } finally {
    await tmdb.close();
  }
});

Deno.test("network errors are retried and the final error hides the key", async () => {
  const tmdb = startFakeTmdb({ apiKey: KEY });
  const baseUrl = tmdb.baseUrl;
  await tmdb.close();
  const err = await rejects(client(baseUrl, { maxRetries: 1 }).c.popular(1));
  assert.equal(err.code, "UNAVAILABLE");
  assert.match(err.message, /gave up after 2 attempts/);
  assert.ok(!err.message.includes(KEY), err.message);
});

Deno.test("a client without credentials refuses to start and says which variable to set", () => {
  assert.throws(() => new TmdbClient({ baseUrl: "http://x", rateLimit: 1 }), /TMDB_API_KEY/);
});

Deno.test("the rate limiter spaces requests 1/rate seconds apart on a fake clock", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ perSecond: 2, ...clock });
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    await limiter.acquire();
    starts.push(clock.now());
  }
  assert.deepEqual(starts, [0, 500, 1000]);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("2"), 2000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
});
