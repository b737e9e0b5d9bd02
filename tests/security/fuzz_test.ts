/** Property-based fuzzing (fast-check) of every operation in /openapi.json: no 5xx, no crash, and rejected requests change nothing stored. */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Database } from "../../src/db/types.ts";
import { writeBatchRecommendations } from "../../src/serving/batch.ts";
import { withDatabase } from "../helpers/db.ts";
import { ADMIN_TOKEN, withFixture } from "../helpers/serving.ts";
import { fill, type Operation, operations, SAFE } from "./support.ts";

/** Requests generated in all (the issue asks for at least 10,000). */
const RUNS = 1_000;
const REQUESTS_PER_RUN = 10;

/** Strings that break naive code: injections, markup, paths, encodings, number-like text. */
const NASTY = [
  "' OR '1'='1",
  "1; DROP TABLE movies; --",
  "1' UNION SELECT password FROM users --",
  "$1",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "../../../../etc/passwd",
  "%00",
  "\u0000",
  "\ud800",
  "𝕏🎬",
  "ﷺ\u202e",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "0x10",
  "9".repeat(400),
  "-1",
  "0",
  " 1 ",
  "1,2,,3",
  ",".repeat(2000),
  "null",
  "[]",
  "{}",
  "true",
  "__proto__",
  "constructor",
  "%",
  "%zz",
  "a".repeat(5000),
];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 0.5, 180, 3, 1_000_000_000),
  fc.integer({ min: 1, max: 200 }),
);

/** A JSON value of any shape, with nasty leaves. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(nastyString, tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** What a field of a body may be given: often the right type, often not. */
const fieldValue = fc.oneof(
  nastyNumber,
  nastyString,
  fc.array(nastyNumber, { maxLength: 1200 }),
  fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 30 }),
  jsonValue,
  fc.constantFrom("watch", "rate", "web-1", "ok-event_1:a"),
);

/** An event close to valid (ids from small sets, so repeats and conflicts happen), one field fuzzed. */
const nearEvent = fc.record({
  eventId: fc.constantFrom("fz-1", "fz-2", "fz-3"),
  userId: fc.integer({ min: 1, max: 80 }),
  movieId: fc.integer({ min: 1, max: 200 }),
  type: fc.constantFrom("watch", "rate"),
  rating: fc.constantFrom(0.5, 3, 5, 5.5, 0, 2.25),
}).chain((e) =>
  fc.tuple(fc.constantFrom(...Object.keys(e)), fieldValue, fc.boolean()).map(([k, v, keep]) =>
    JSON.stringify(keep ? e : { ...e, [k]: v })
  )
);

/** A body for an operation: its own fields with fuzzed values, any JSON, broken JSON, or too much. */
function bodyOf(fields: string[]): fc.Arbitrary<string | undefined> {
  const shaped = fc.dictionary(
    fields.length ? fc.constantFrom(...fields) : nastyString,
    fieldValue,
    { maxKeys: fields.length + 2 },
  ).map((o) => JSON.stringify(o));
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: fields.includes("eventId") ? 4 : 0, arbitrary: nearEvent },
    { weight: 2, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("{", '{"history": [1,2', "[1,2,3", "\u0000", "", "nul"),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 256 * 1024 - 16, max: 300 * 1024 }).map((n) =>
        `{"history": [${"1,".repeat(n / 2)}1]}`
      ),
    },
  );
}

interface FuzzRequest {
  op: Operation;
  path: string;
  init: RequestInit;
}

function requestArb(
  ops: Operation[],
  bodyFields: Map<Operation, string[]>,
): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ops).chain((op) => {
    const pathParams = op.parameters.filter((p) => p.in === "path");
    const queryNames = op.parameters.filter((p) => p.in === "query").map((p) => p.name);
    return fc.record({
      path: fc.tuple(...pathParams.map(() => fc.oneof(nastyString, nastyNumber.map(String)))),
      query: fc.dictionary(
        fc.oneof(
          {
            weight: 4,
            arbitrary: queryNames.length ? fc.constantFrom(...queryNames) : nastyString,
          },
          { weight: 1, arbitrary: nastyString },
        ),
        fc.oneof(nastyString, nastyNumber.map(String)),
        { maxKeys: 4 },
      ),
      body: SAFE.has(op.method) ? fc.constant(undefined) : bodyOf(bodyFields.get(op) ?? []),
      contentType: fc.constantFrom(
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
      ),
      auth: fc.constantFrom(
        undefined,
        undefined,
        `Bearer ${ADMIN_TOKEN}`,
        "Bearer x",
        "Basic YTpi",
      ),
    }).map(({ path, query, body, contentType, auth }) => {
      const values = Object.fromEntries(pathParams.map((p, i) => [p.name, path[i]]));
      let url = fill(op.path, values);
      try {
        const qs = new URLSearchParams(query).toString();
        if (qs) url += `?${qs}`;
      } catch { /* a lone surrogate cannot be encoded: no query this time */ }
      const headers: Record<string, string> = {};
      if (contentType) headers["content-type"] = contentType;
      if (auth) headers.authorization = auth;
      return { op, path: url, init: { method: op.method, headers, body } };
    });
  });
}

/** Where every recommendation answer (a GET included) is logged, by design: impressions. */
const ONLINE_TABLES = ["impressions", "shadow_lists"];

/**
 * Every stored row, hashed per table (an order-free sum of row hashes): equal means nothing
 * changed. `stored` holds every table but the online ones, `online` those two.
 */
async function fingerprint(db: Database): Promise<{ stored: string; online: string }> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts = await db.query<{ name: string; h: string }>(
    tables.map((t) =>
      `SELECT '${t.name}' AS name, '${t.name}:' || count(*) || ':' || coalesce(sum(hashtext(x::text)::int8), 0) AS h FROM ${t.name} x`
    ).join(" UNION ALL "),
  );
  const join = (online: boolean) =>
    parts.filter((p) => ONLINE_TABLES.includes(p.name) === online).map((p) => p.h).join("|");
  assert.equal(parts.filter((p) => ONLINE_TABLES.includes(p.name)).length, ONLINE_TABLES.length);
  return { stored: join(false), online: join(true) };
}

/** Impressions stored in all. */
async function storedImpressionCount(db: Database): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM impressions");
  return Number(n);
}

/** The impression id an answer carries (a recommendation answer, or POST /impressions'), or null. */
function impressionOf(text: string): string | null {
  try {
    const id = (JSON.parse(text) as { impressionId?: unknown } | null)?.impressionId;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/** Impression ids among `ids` that are stored. */
async function storedImpressions(db: Database, ids: string[]): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT count(*)::int8 AS n FROM impressions WHERE id = ANY($1::text[])",
    [ids],
  );
  return Number(n);
}

Deno.test({
  name: `${
    RUNS * REQUESTS_PER_RUN
  } fuzzed requests to every operation of /openapi.json: no 5xx, no crash, rejected requests store nothing (impressions included)`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDatabase("pglite", (db) =>
      withFixture(db, async ({ app, ctx, serving, clock, engine }) => {
        // Every resource in its normal state (a batch written), so a 503 can only be a fault.
        await writeBatchRecommendations(ctx.db, serving.holder.current!, {
          histories: serving.histories,
          k: 10,
          now: clock.now(),
        });
        const doc = await (await app.request("/openapi.json")).json();
        const ops = await operations(app);
        assert.ok(ops.length >= 15, `only ${ops.length} operations`);
        const bodyFields = new Map<Operation, string[]>();
        for (const op of ops) {
          const ref = (op.body?.$ref as string | undefined)?.split("/").at(-1);
          const schema = ref ? doc.components.schemas[ref] : op.body;
          bodyFields.set(op, Object.keys((schema?.properties as object) ?? {}));
        }
        const statuses = new Map<number, number>();
        const perOp = new Map<string, number>();
        let sent = 0;
        const initialImpressions = await storedImpressionCount(ctx.db);
        let impressions = initialImpressions;
        let before = await fingerprint(ctx.db);
        await fc.assert(
          fc.asyncProperty(
            fc.array(requestArb(ops, bodyFields), {
              minLength: REQUESTS_PER_RUN,
              maxLength: REQUESTS_PER_RUN,
            }),
            async (requests) => {
              // A minute passes between runs: the admin rate limit lets requests reach validation.
              clock.advance(60_000);
              let accepted = false;
              // Impressions of the answers given (status < 400): the only rows they may add.
              const shown: string[] = [];
              for (const r of requests) {
                const res = await app.request(r.path, r.init);
                const text = await res.text();
                sent++;
                statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
                const key = `${r.op.method} ${r.op.path}`;
                perOp.set(key, (perOp.get(key) ?? 0) + 1);
                assert.ok(
                  res.status < 500,
                  `${r.init.method} ${r.path} → ${res.status}: ${text.slice(0, 300)}`,
                );
                if (res.status >= 400 && r.op.path.startsWith("/api/")) {
                  const body = JSON.parse(text);
                  assert.ok(
                    body.error?.code && body.error?.message,
                    `${r.path}: ${text.slice(0, 200)}`,
                  );
                  assert.ok(!text.includes(ADMIN_TOKEN), "the token is never echoed");
                }
                if (res.status < 300 && !SAFE.has(r.op.method)) accepted = true;
                const id = res.status < 400 ? impressionOf(text) : null;
                if (id) shown.push(id);
              }
              await engine.idle(); // an accepted POST /pipeline/runs runs in the background
              await serving.online.flush(); // impressions are written off the request path
              const after = await fingerprint(ctx.db);
              const described = () => requests.map((r) => `${r.init.method} ${r.path}`).join(", ");
              if (!accepted) {
                assert.equal(
                  after.stored,
                  before.stored,
                  `rejected requests changed the database: ${described()}`,
                );
              }
              // Every answer's impression is stored; rejected requests log none. Without an
              // answered impression, neither impressions nor shadow lists may change.
              assert.equal(await storedImpressions(ctx.db, shown), shown.length, described());
              assert.equal(
                await storedImpressionCount(ctx.db),
                impressions + shown.length,
                `impressions from: ${described()}`,
              );
              impressions += shown.length;
              if (shown.length === 0) {
                assert.equal(
                  after.online,
                  before.online,
                  `rejected requests logged: ${described()}`,
                );
              }
              before = after;
            },
          ),
          { numRuns: RUNS, seed: 20261206, endOnFailure: true },
        );
        console.log(
          `${sent} requests (${impressions - initialImpressions} impressions); statuses ${
            JSON.stringify(Object.fromEntries([...statuses].sort()))
          }; ` +
            `per operation ${JSON.stringify(Object.fromEntries(perOp))}`,
        );
        assert.ok(sent >= 10_000);
        assert.ok(impressions > initialImpressions, "answers carried impressions, all stored");
        assert.equal(perOp.size, ops.length, "every operation was fuzzed");
        // The server still answers normally afterwards.
        assert.equal((await app.request("/ready")).status, 200);
      })),
});
