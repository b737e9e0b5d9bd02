/** The page's choice of where a visitor's movies rank, from the production pointer alone: MLP here, other families on the server, before anything else is downloaded. */
import assert from "node:assert/strict";
import {
  browserModelProblem,
  fetchUsablePointer,
  POINTER_URL,
  ServerOnlyModel,
} from "../../../web/client/model_store.ts";

const pointer = (family: string | undefined, artifactUrl: string | null) => ({
  version: 3,
  family,
  sha256: "a".repeat(64),
  size: 187_000_000,
  gzipSize: null,
  artifactUrl,
  catalog: {
    sha256: "b".repeat(64),
    size: 10,
    gzipSize: 8,
    url: `/api/v1/catalog/${"b".repeat(64)}`,
  },
});

Deno.test("browserModelProblem() lets MLP models (and those from before families) rank here, and names why EASE and ItemKNN do not", () => {
  assert.equal(
    browserModelProblem({ family: "mlp", artifactUrl: "/api/v1/models/3/artifact" }),
    null,
  );
  assert.equal(browserModelProblem({ artifactUrl: "/api/v1/models/3/artifact" }), null);
  assert.match(
    browserModelProblem({ family: "ease", artifactUrl: null })!,
    /^the production model is EASE, whose movies × movies weights are too large to download$/,
  );
  assert.match(
    browserModelProblem({ family: "itemknn", artifactUrl: "/api/v1/models/3/artifact" })!,
    /^the production model is itemknn; this page ranks only mlp models itself$/,
  );
  assert.match(
    browserModelProblem({ family: "mlp", artifactUrl: null })!,
    /does not offer its model for download/,
  );
});

Deno.test("fetchUsablePointer() asks only the pointer and refuses a server-only family with ServerOnlyModel", async () => {
  const real = globalThis.fetch;
  const asked: string[] = [];
  let answer = pointer("ease", null);
  globalThis.fetch = (input: RequestInfo | URL) => {
    asked.push(String(input));
    return Promise.resolve(Response.json(answer));
  };
  try {
    await assert.rejects(fetchUsablePointer(), (err) => {
      assert.ok(err instanceof ServerOnlyModel);
      assert.match(err.message, /EASE/);
      return true;
    });
    assert.deepEqual(asked, [POINTER_URL]);
    answer = pointer("mlp", "/api/v1/models/3/artifact");
    assert.equal((await fetchUsablePointer()).artifactUrl, "/api/v1/models/3/artifact");
    assert.deepEqual(asked, [POINTER_URL, POINTER_URL]);
  } finally {
    globalThis.fetch = real;
  }
});
