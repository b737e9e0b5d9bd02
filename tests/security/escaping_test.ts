/** Text from TMDB reaches the pages as text: a title, an overview or a poster path with markup cannot inject any. */
import assert from "node:assert/strict";
import { ingestTmdb } from "../../src/data/ingest_tmdb.ts";
import { TmdbClient } from "../../src/data/tmdb.ts";
import { dbTest } from "../helpers/db.ts";
import { withFixture } from "../helpers/serving.ts";
import { startFakeTmdb } from "../fixtures/tmdb/fake_server.ts";
import { TMDB_ESCAPING_KEY } from "../helpers/secrets.ts";

const KEY = TMDB_ESCAPING_KEY;
const TITLE = `<script>alert("tmdb")</script></title><svg onload=alert(1)>`;
const OVERVIEW = `<img src=x onerror=alert(2)> & "quotes" 'single' \u2028`;
const POSTER = `/p.jpg" onerror="alert(3)`;

const page = {
  page: 1,
  total_pages: 1,
  total_results: 2,
  results: [
    {
      id: 990001,
      title: TITLE,
      original_title: TITLE,
      overview: OVERVIEW,
      poster_path: POSTER,
      backdrop_path: null,
      release_date: "2021-05-05",
      genre_ids: [28],
      popularity: 9.5,
      vote_average: 6,
      vote_count: 10,
      adult: false,
      original_language: "en",
    },
    // Rejected (no id): its title shows in the data page's list of rejected rows.
    { title: `<script>alert("rejected")</script>`, overview: "x" },
  ],
};

/** Every <script> element of a page: only the island modules and JSON props the site writes. */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
}

dbTest(
  "a TMDB movie whose title, overview and poster path hold markup is shown as text on every page",
  async (db) => {
    const tmdb = startFakeTmdb({ apiKey: KEY });
    tmdb.fail("/movie/popular", { status: 200, body: JSON.stringify(page) });
    try {
      await withFixture(db, async ({ app, ctx }) => {
        const [{ id }] = await ctx.db.query<{ id: number }>(
          "SELECT id FROM movies WHERE tmdb_id = 990001",
        );
        const pages = [`/movies/${id}`, "/admin/data", `/?user=999999`];
        for (const path of pages) {
          const res = await app.request(path);
          assert.equal(res.status, 200, path);
          const html = await res.text();
          for (const tag of scripts(html)) {
            assert.match(
              tag,
              /^<script (type="module" src="\/static\/|type="application\/json" id=")/,
              `${path}: ${tag}`,
            );
          }
          assert.ok(!html.includes("<svg onload"), `${path}: the title ran as markup`);
          assert.ok(!html.includes("<img src=x"), `${path}: the overview ran as markup`);
          assert.ok(
            !/onerror="alert/.test(html),
            `${path}: the poster path broke out of its attribute`,
          );
          assert.ok(!html.includes(`<script>alert(`), `${path}: a script element from data`);
        }
        const movie = await (await app.request(`/movies/${id}`)).text();
        assert.ok(
          movie.includes(
            "&lt;script>alert(&quot;tmdb&quot;)&lt;/script>&lt;/title>&lt;svg onload=alert(1)>",
          ),
        );
        assert.ok(movie.includes("&lt;img src=x onerror=alert(2)> &amp; &quot;quotes&quot;"));
        assert.ok(
          movie.includes(
            `src="https://image.tmdb.org/t/p/w342/p.jpg&quot; onerror=&quot;alert(3)"`,
          ),
        );
        // The data page lists the rejected record as its raw JSON: escaped too.
        const data = await (await app.request("/admin/data")).text();
        assert.ok(data.includes(`&lt;script>alert(\\&quot;rejected\\&quot;)&lt;/script>`));
      }, {
        train: false,
        prepare: async (ctx) => {
          const client = new TmdbClient({
            baseUrl: tmdb.baseUrl,
            apiKey: KEY,
            rateLimit: 1000,
            sleep: () => Promise.resolve(),
          });
          const report = await ingestTmdb(ctx.db, client, { pages: 1 });
          assert.deepEqual([report.tables.movies.accepted, report.tables.movies.rejected], [1, 1]);
        },
      });
    } finally {
      await tmdb.close();
    }
  },
);
