/** The home page's explanations and in-browser ranking, rendered on the server: "Because you watched" links, the kernel's URL, the CSP that lets it compile. */
import assert from "node:assert/strict";
import { readManifest } from "../../../web/assets.ts";
import { CSP } from "../../../web/routes/page.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";

const props = (html: string) =>
  [...html.matchAll(/<script type="application\/json" id="[^"]+">(.*?)<\/script>/gs)].map((m) =>
    JSON.parse(m[1])
  );

dbTest(
  "a user's cards say which of their movies each was chosen for, linking them, as ?explain=true answers",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const html = await (await app.request("/?user=3")).text();
      const api = await (await app.request("/api/v1/users/3/recommendations?k=10&explain=true"))
        .json();
      const cards = [...html.matchAll(/<li class="card" data-movie-id="(\d+)">(.*?)<\/li>/gs)];
      assert.equal(cards.length, 10);
      let explained = 0;
      cards.forEach(([, id, body], i) => {
        assert.equal(Number(id), api.items[i].id);
        const links = [...body.matchAll(/<p class="because">(.*?)<\/p>/gs)].flatMap(([, p]) =>
          [...p.matchAll(/<a href="\/movies\/(\d+)">([^<]*)<\/a>/g)].map((
            m,
          ) => [Number(m[1]), m[2]])
        );
        const because = api.items[i].because as { id: number; title: string }[];
        assert.deepEqual(links, because.map((b) => [b.id, b.title]));
        if (because.length) {
          explained++;
          const names = because.map((b) => b.title);
          const text = names.length === 1
            ? names[0]
            : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
          assert.equal(
            body.match(/<p class="because">(.*?)<\/p>/s)![1].replace(/<[^>]+>/g, ""),
            `Because you watched ${text}`,
          );
        }
      });
      assert.ok(explained > 0, "no card was explained");
    });
  },
);

dbTest(
  "a visitor's page names the built kernel, and the CSP lets WebAssembly compile without any unsafe-inline script",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const res = await app.request("/");
      const [grid] = props(await res.text());
      assert.equal(grid.userId, null);
      assert.equal(grid.kernelUrl, `/static/${readManifest().kernel}`);
      const csp = res.headers.get("content-security-policy")!;
      assert.equal(csp, CSP);
      const script = csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src"));
      assert.equal(script, "script-src 'self' 'wasm-unsafe-eval'");
      assert.ok(!csp.includes("unsafe-inline") && !csp.includes("'unsafe-eval'"));
    });
  },
);
