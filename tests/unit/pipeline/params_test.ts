/** The recommend DAG's family parameters: a list of family names, the search and its budget, each value checked by name. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import { describeParams, resolveParams } from "../../../src/pipeline/params.ts";
import { RECOMMEND_PARAMS } from "../../../pipelines/recommend_params.ts";

const refused = (given: Record<string, unknown>, re: RegExp) =>
  assert.throws(
    () => resolveParams(RECOMMEND_PARAMS, given),
    (e) => e instanceof ReelrankError && e.code === "INVALID_PARAMETER" && re.test(e.message),
  );

Deno.test("families defaults to all three and takes some of them as text or a JSON array, in one canonical order", () => {
  const d = resolveParams(RECOMMEND_PARAMS);
  assert.equal(d.families, "mlp,ease,itemknn");
  assert.equal(d.search, 0);
  assert.equal(d["search-budget"], 40);
  const given = resolveParams(RECOMMEND_PARAMS, {
    families: " ITEMKNN,ease,itemknn",
    search: "3",
    "search-budget": "0.5",
  });
  assert.deepEqual([given.families, given.search, given["search-budget"]], [
    "ease,itemknn",
    3,
    0.5,
  ]);
  assert.equal(resolveParams(RECOMMEND_PARAMS, { families: ["ease"] }).families, "ease");
});

Deno.test("families, search and search-budget refuse bad values naming the parameter", () => {
  refused(
    { families: "svd" },
    /parameter families must be a comma-separated list of some of mlp, ease, itemknn, got "svd"/,
  );
  refused({ families: "" }, /parameter families/);
  refused({ families: [] }, /parameter families/);
  refused({ search: 33 }, /parameter search must be an integer in 0\.\.32/);
  refused({ "search-budget": "-1" }, /parameter search-budget must be a number in 0\.\.100000/);
  refused({ "search-budget": "lots" }, /parameter search-budget/);
  const help = describeParams(RECOMMEND_PARAMS).find((p) => p.name === "families")!;
  assert.match(help.help, /\(some of mlp,ease,itemknn\)$/);
  assert.equal(help.task, "train");
});
