/** The site's pages through app.request(): loaders on the API's services, labels, error pages, admin tables. */
import assert from "node:assert/strict";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { dbTest } from "../../helpers/db.ts";
import { type Fixture, withFixture } from "../../helpers/serving.ts";

/** Every island's props on a page, parsed, in order. */
function props(html: string): Record<string, unknown>[] {
  return [...html.matchAll(/<script type="application\/json" id="[^"]+">(.*?)<\/script>/gs)]
    .map((m) => JSON.parse(m[1]));
}

const page = async (f: Fixture, path: string) => {
  const res = await f.app.request(path);
  return { status: res.status, html: await res.text(), headers: res.headers };
};

dbTest(
  "a known user's home shows the 10 movies GET /users/{id}/recommendations answers",
  async (db) => {
    await withFixture(db, async (f) => {
      const { status, html, headers } = await page(f, "/?user=3");
      assert.equal(status, 200);
      assert.match(headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const api = await (await f.app.request("/api/v1/users/3/recommendations?k=10")).json();
      const [grid] = props(html) as { answer: { strategy: string; items: { id: number }[] } }[];
      assert.equal(grid.answer.strategy, "model");
      assert.deepEqual(
        grid.answer.items.map((i) => i.id),
        api.items.map((i: { id: number }) => i.id),
      );
      assert.equal(html.match(/<li class="card"/g)?.length, 10);
      assert.ok(html.includes("Recommended from user 3's history by model version 1"));
    });
  },
);

dbTest("an unknown user's home shows popular movies, labelled as such", async (db) => {
  await withFixture(db, async (f) => {
    const { html } = await page(f, "/?user=424242");
    const [grid] = props(html) as { answer: { strategy: string } }[];
    assert.equal(grid.answer.strategy, "popularity");
    assert.match(html, /Popular movies: user 424242 has no history here/);
  });
});

dbTest(
  "a visitor's first home page is an impression: the grid carries its id, stored after a flush",
  async (db) => {
    await withFixture(db, async (f) => {
      const { html } = await page(f, "/?genre=Comedy");
      const [grid] = props(html) as {
        answer: { strategy: string; impressionId: string | null; items: { id: number }[] };
      }[];
      assert.equal(grid.answer.strategy, "popularity");
      const id = grid.answer.impressionId;
      assert.match(id ?? "", /^imp-[0-9a-f]{32}$/);
      const stored = () =>
        db.query<{
          user_id: number | null;
          visitor_id: string | null;
          version: number | null;
          arm: string;
          strategy: string;
          movie_ids: number[];
        }>(
          "SELECT user_id, visitor_id, version, arm, strategy, movie_ids FROM impressions WHERE id = $1",
          [id],
        );
      assert.equal((await stored()).length, 0, "recorded in memory, not written on the request");
      await f.serving.online.flush();
      const [row] = await stored();
      assert.deepEqual(
        { ...row, movie_ids: row.movie_ids.map(Number) },
        {
          user_id: null,
          visitor_id: null,
          version: null,
          arm: "production",
          strategy: "popularity",
          movie_ids: grid.answer.items.map((i) => i.id),
        },
      );
      assert.equal(grid.answer.items.length, 10);
    });
  },
);

dbTest("the genre filter of the home page keeps only movies of that genre", async (db) => {
  await withFixture(db, async (f) => {
    const { html } = await page(f, "/?user=3&genre=Comedy");
    const [grid] = props(html) as { genre: string; answer: { items: { genres: string[] }[] } }[];
    assert.equal(grid.genre, "Comedy");
    assert.equal(grid.answer.items.length, 10);
    assert.ok(grid.answer.items.every((i) => i.genres.includes("Comedy")));
  });
});

dbTest(
  "bad ids answer an HTML error page: 400 for a malformed one, 404 for an unknown one",
  async (db) => {
    await withFixture(db, async (f) => {
      for (
        const [path, status, text] of [
          ["/?user=abc", 400, "user: expected a positive integer id"],
          ["/movies/9999", 404, "movie 9999 does not exist"],
          ["/admin/runs/no-such-run", 404, "no-such-run"],
          ["/admin/compare?run=x", 400, "tick 2 to 10 runs"],
        ] as const
      ) {
        const res = await page(f, path);
        assert.equal(res.status, status, path);
        assert.match(res.headers.get("content-type") ?? "", /text\/html/);
        assert.ok(res.html.includes(text), `${path}: ${res.html}`);
      }
    });
  },
);

dbTest(
  "the run page carries each member's loss and NDCG@10 per epoch in its chart props",
  async (db) => {
    await withFixture(db, async (f) => {
      const [run] = (await f.ctx.tracking.searchRuns({})).items;
      const { html } = await page(f, `/admin/runs/${run.id}`);
      const charts = props(html) as {
        title: string;
        series: { label: string; points: number[][] }[];
      }[];
      assert.deepEqual(charts.map((c) => c.title), [
        "Training loss per epoch",
        "Validation NDCG@10 per epoch",
      ]);
      const loss = await f.ctx.tracking.getMetricHistory(run.id, "member1_train_loss");
      assert.deepEqual(charts[0].series, [{
        label: "member 1",
        points: loss.map((p) => [p.step, p.value]),
      }]);
      assert.equal(charts[1].series[0].points.length, 2);
    });
  },
);

dbTest(
  "the registry page lists versions with sha256, aliases and a promote button only off production",
  async (db) => {
    await withFixture(db, async (f) => {
      const { bytes } = await f.ctx.registry.loadArtifact(MODEL_NAME, 1);
      await f.ctx.registry.registerVersion(MODEL_NAME, { artifact: bytes });
      const { html } = await page(f, "/admin/registry");
      const v1 = await f.ctx.registry.getVersion(MODEL_NAME, 1);
      assert.ok(html.includes(v1.sha256));
      assert.match(html, /<span class="badge alias-production">production<\/span>/);
      const buttons = props(html) as { action?: string; version?: number | null }[];
      assert.deepEqual(buttons.filter((b) => b.action), [
        { action: "promote", version: 2 },
        { action: "rollback", version: null },
      ]);
    });
  },
);

dbTest("the data page counts the tables and groups rejected rows by reason", async (db) => {
  await withFixture(db, async (f) => {
    await db.query(
      `INSERT INTO rejected_rows (source, raw, reason, fingerprint) VALUES
       ('movielens', '{"movieId":"x"}', 'movieId: not an integer', 'a'),
       ('movielens', '{"movieId":"y"}', 'movieId: not an integer', 'b'),
       ('tmdb', '{"id":1}', 'title: missing', 'c')`,
    );
    await db.query(
      "INSERT INTO ingest_runs (source, status, error) VALUES ('tmdb', 'failed', 'TMDB answered 401')",
    );
    await db.query(
      `INSERT INTO ingest_runs (source, status, counts) VALUES ('movielens', 'succeeded',
       '{"movies": {"read": 180, "accepted": 180, "rejected": 0}}')`,
    );
    const { html } = await page(f, "/admin/data");
    assert.match(html, /<strong>180<\/strong> movies/);
    assert.match(html, /<strong>3<\/strong> rejected rows/);
    assert.match(
      html,
      /<td>movielens<\/td><td>movieId: not an integer<\/td><td class="num">2<\/td>/,
    );
    assert.ok(html.includes("TMDB answered 401"));
    assert.match(html, /movies 180 read, 180 accepted, 0 rejected/);
    assert.ok(!/<script/.test(html), "the data page has no island");
  });
});
