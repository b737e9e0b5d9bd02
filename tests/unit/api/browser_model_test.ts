/** The downloads of in-browser ranking: the production pointer, the artifact (gzip, ETag, 304), the content-addressed catalogue, a model switch, families pages cannot rank with. */
import assert from "node:assert/strict";
import { sha256Hex } from "../../../src/digest.ts";
import { trainAndRegister } from "../../../src/model/mod.ts";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { gunzip } from "../../../src/snapshot/codec.ts";
import { SMALL_PARAMS } from "../../fixtures/sequences/params.ts";
import { dbTest } from "../../helpers/db.ts";
import { withFixture } from "../../helpers/serving.ts";

const gz = { headers: { "accept-encoding": "gzip, deflate, br" } };

dbTest(
  "GET /models/production names the served version, its sha256 and where to download it, never cached unchecked",
  async (db) => {
    await withFixture(db, async ({ app, ctx }) => {
      const res = await app.request("/api/v1/models/production");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-cache");
      const body = await res.json();
      const v = await ctx.registry.getVersion(MODEL_NAME, 1);
      assert.deepEqual(
        [body.model, body.version, body.family, body.sha256, body.size],
        [MODEL_NAME, 1, "mlp", v.sha256, v.size],
      );
      assert.equal(body.artifactUrl, "/api/v1/models/1/artifact");
      assert.ok(body.gzipSize > 0 && body.gzipSize < body.size, `${body.gzipSize}`);
      assert.match(body.catalog.url, /^\/api\/v1\/catalog\/[0-9a-f]{64}$/);
      assert.ok(body.catalog.url.endsWith(body.catalog.sha256));
    });
  },
);

dbTest(
  "the artifact comes gzipped when accepted, with its sha256 as ETag and header, and revalidates to 304",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const { sha256, size, artifactUrl } = await (await app.request("/api/v1/models/production"))
        .json();
      const zipped = await app.request(artifactUrl, gz);
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers.get("content-encoding"), "gzip");
      assert.equal(zipped.headers.get("etag"), `W/"${sha256}"`);
      assert.equal(zipped.headers.get("x-content-sha256"), sha256);
      assert.equal(zipped.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.ok(
        (zipped.headers.get("vary") ?? "").split(/,\s*/).includes("Accept-Encoding"),
        `Vary names Accept-Encoding: ${zipped.headers.get("vary")}`,
      );
      const bytes = await gunzip(new Uint8Array(await zipped.arrayBuffer()), {
        maxBytes: 1 << 30,
        name: "artifact",
      });
      assert.equal(bytes.length, size);
      assert.equal(await sha256Hex(bytes), sha256);

      for (const ae of [undefined, "gzip;q=0, identity"]) {
        const plain = await app.request(artifactUrl, {
          headers: ae ? { "accept-encoding": ae } : {},
        });
        assert.equal(plain.headers.get("content-encoding"), null, String(ae));
        assert.equal(plain.headers.get("etag"), `"${sha256}"`);
        assert.equal(await sha256Hex(new Uint8Array(await plain.arrayBuffer())), sha256);
      }
      for (const tag of [`"${sha256}"`, `W/"${sha256}"`, `"other", W/"${sha256}"`]) {
        const again = await app.request(artifactUrl, {
          headers: { "if-none-match": tag, "accept-encoding": "gzip" },
        });
        assert.equal(again.status, 304, tag);
        assert.equal((await again.arrayBuffer()).byteLength, 0);
      }
      const stale = await app.request(artifactUrl, { headers: { "if-none-match": '"other"' } });
      assert.equal(stale.status, 200);
      await stale.body?.cancel();

      const production = await app.request("/api/v1/models/production/artifact", gz);
      assert.equal(production.headers.get("cache-control"), "no-cache");
      assert.equal(production.headers.get("x-content-sha256"), sha256);
      await production.body?.cancel();
    });
  },
);

dbTest(
  "only the served version's artifact is downloadable; a bad version is a 400",
  async (db) => {
    await withFixture(db, async ({ app }) => {
      const other = await app.request("/api/v1/models/7/artifact");
      assert.equal(other.status, 404);
      assert.match((await other.json()).error.message, /not the one this server serves \(1\)/);
      const bad = await app.request("/api/v1/models/abc/artifact");
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.fields[0].field, "version");
    });
  },
);

dbTest(
  "the catalogue is every movie's display fields as columns, addressed by its sha256",
  async (db) => {
    await withFixture(db, async ({ app, serving }) => {
      const { catalog } = await (await app.request("/api/v1/models/production")).json();
      const res = await app.request(catalog.url, gz);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-encoding"), "gzip");
      const text = new TextDecoder().decode(
        await gunzip(new Uint8Array(await res.arrayBuffer()), {
          maxBytes: 1 << 30,
          name: "artifact",
        }),
      );
      assert.equal(await sha256Hex(text), catalog.sha256);
      const c = JSON.parse(text);
      assert.deepEqual(c.ids, Array.from({ length: 180 }, (_, i) => i + 1));
      for (const [i, id] of c.ids.entries()) {
        const m = serving.catalog().get(id)!;
        assert.deepEqual(
          [c.titles[i], c.years[i], c.genreIds[i].map((g: number) => c.genres[g]), c.posterUrls[i]],
          [m.title, m.year, m.genres, m.posterUrl],
        );
      }
      const gone = await app.request(`/api/v1/catalog/${"0".repeat(64)}`);
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
      const bad = await app.request("/api/v1/catalog/xyz");
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    });
  },
);

dbTest(
  "after a switch the pointer names the new version and the old artifact is no longer served",
  async (db) => {
    await withFixture(db, async ({ app, ctx, serving }) => {
      const before = await (await app.request("/api/v1/models/production")).json();
      const { decision } = await trainAndRegister(ctx, {
        params: { ...SMALL_PARAMS, epochs: 1, seed: 9 },
      });
      await ctx.releaseKernel();
      // The gate may already have promoted it (its validation NDCG@10 beat version 1's).
      if (!decision.promoted) await ctx.registry.promote(MODEL_NAME, 2);
      await serving.watcher.check();
      const after = await (await app.request("/api/v1/models/production")).json();
      assert.equal(after.version, 2);
      assert.notEqual(after.sha256, before.sha256);
      assert.equal((await app.request(before.artifactUrl)).status, 404);
      const res = await app.request(after.artifactUrl);
      assert.equal(await sha256Hex(new Uint8Array(await res.arrayBuffer())), after.sha256);
    });
  },
);

dbTest(
  "a production family pages cannot rank with is named with its size, and its artifact answers 409 instead of downloading",
  async (db) => {
    await withFixture(db, async ({ app, ctx, serving }) => {
      // The route goes by the registry's family: the MLP's bytes registered as EASE stand in for
      // an EASE checkpoint (hundreds of MB on real data), and without a family as a version
      // registered before families (an MLP).
      const { bytes } = await ctx.registry.loadArtifact(MODEL_NAME, 1);
      const ease = await ctx.registry.registerVersion(MODEL_NAME, {
        artifact: bytes,
        family: "ease",
      });
      const old = await ctx.registry.registerVersion(MODEL_NAME, { artifact: bytes });
      await ctx.registry.promote(MODEL_NAME, ease.version);
      await serving.watcher.check();
      const res = await app.request("/api/v1/models/production");
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(
        [body.version, body.family, body.size, body.sha256, body.gzipSize, body.artifactUrl],
        [ease.version, "ease", bytes.length, ease.sha256, null, null],
      );
      assert.match(body.catalog.url, /^\/api\/v1\/catalog\/[0-9a-f]{64}$/);
      for (
        const url of [
          `/api/v1/models/${ease.version}/artifact`,
          "/api/v1/models/production/artifact",
        ]
      ) {
        const refused = await app.request(url, gz);
        assert.equal(refused.status, 409, url);
        assert.match(refused.headers.get("content-type") ?? "", /^application\/json/);
        const { error } = await refused.json();
        assert.equal(error.code, "CONFLICT");
        assert.match(
          error.message,
          new RegExp(
            `^model version ${ease.version} is not offered for download: the production ` +
              "model is EASE, .*; rank on the server with POST /api/v1/recommendations$",
          ),
        );
      }

      await ctx.registry.promote(MODEL_NAME, old.version);
      await serving.watcher.check();
      const mlp = await (await app.request("/api/v1/models/production")).json();
      assert.deepEqual([mlp.version, mlp.family], [old.version, "mlp"]);
      assert.equal(mlp.artifactUrl, `/api/v1/models/${old.version}/artifact`);
      const served = await app.request(mlp.artifactUrl);
      assert.equal(served.status, 200);
      assert.equal(await sha256Hex(new Uint8Array(await served.arrayBuffer())), mlp.sha256);
    });
  },
);

dbTest("without a model in service the pointer answers 503", async (db) => {
  await withFixture(db, async ({ app }) => {
    const res = await app.request("/api/v1/models/production");
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /no model is loaded/);
  }, { train: false });
});

dbTest("/openapi.json documents the pointer, the artifacts and the catalogue", async (db) => {
  await withFixture(db, async ({ app }) => {
    const doc = await (await app.request("/openapi.json")).json();
    for (
      const p of [
        "/api/v1/models/production",
        "/api/v1/models/production/artifact",
        "/api/v1/models/{version}/artifact",
        "/api/v1/catalog/{sha256}",
      ]
    ) assert.ok(doc.paths[p]?.get, p);
    assert.ok(doc.components.schemas.ProductionModel.properties.sha256);
  });
});
