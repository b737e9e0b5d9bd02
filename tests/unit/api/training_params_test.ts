/** The pipeline trigger's training-parameter schema: generated from the hyperparameter table, typed, and fed text as the CLI sends it. */
import assert from "node:assert/strict";
import { trainingParamsSchema } from "../../../src/api/schemas/training_params.ts";
import {
  DEFAULT_PARAMS,
  flagOf,
  HYPERPARAMS,
  PARAM_NAMES,
  type ParamSpec,
} from "../../../src/model/mod.ts";
import { RECOMMEND_PARAMS } from "../../../pipelines/recommend_params.ts";

const keys = (table?: Record<string, ParamSpec>) =>
  Object.keys(trainingParamsSchema(table).shape).sort();

Deno.test("the schema has one key per hyperparameter, its flag, as the recommend DAG names them", () => {
  assert.deepEqual(keys(), PARAM_NAMES.map(flagOf).sort());
  assert.ok(keys().includes("batch") && keys().includes("input-dropout"));
  const dagTraining = Object.entries(RECOMMEND_PARAMS)
    .filter(([, spec]) => spec.type === "training").map(([name]) => name).sort();
  assert.deepEqual(keys(), dagTraining);
});

Deno.test("adding an entry to the table adds it to the schema, with its range", () => {
  const table: Record<string, ParamSpec> = {
    ...HYPERPARAMS,
    warmupEpochs: { type: "int", default: 0, min: 0, max: 10, help: "epochs of warm-up" },
  };
  assert.deepEqual(keys(table), [...keys(), "warmup-epochs"].sort());
  const schema = trainingParamsSchema(table);
  assert.deepEqual(schema.parse({ "warmup-epochs": 3 }), { "warmup-epochs": 3 });
  const bad = schema.safeParse({ "warmup-epochs": 11 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0].path, ["warmup-epochs"]);
});

Deno.test("values are checked against the table's types and ranges, exclusive bounds included", () => {
  const schema = trainingParamsSchema();
  const refused: Record<string, unknown>[] = [
    { lr: 0 }, // (0, 1]
    { lr: 1.5 },
    { dropout: 1 }, // [0, 1)
    { dim: 3 },
    { dim: 64.5 },
    { hidden: [] },
    { hidden: [0] },
    { tied: "maybe" },
    { tables: "f64" },
    { features: { bags: [] } },
    { features: { bags: [{ kind: "recent", tau: 0 }] } },
    { features: "not json" },
  ];
  for (const given of refused) {
    const r = schema.safeParse(given);
    assert.equal(r.success, false, JSON.stringify(given));
    assert.equal(r.error!.issues[0].path[0], Object.keys(given)[0]);
  }
  const accepted = {
    lr: 1,
    dropout: 0,
    dim: DEFAULT_PARAMS.dim,
    hidden: [128, 64],
    tied: false,
    tables: "i8",
    features: { bags: [{ kind: "all", max: 50 }] },
  };
  assert.deepEqual(schema.parse(accepted), accepted);
  assert.deepEqual(schema.parse({}), {}, "absent parameters stay absent: the run's defaults apply");
});

Deno.test("text, as `--param k=v` sends it, is read as the flag would be and then checked", () => {
  const schema = trainingParamsSchema();
  assert.deepEqual(
    schema.parse({
      lr: "0.01",
      batch: "128",
      hidden: "128,64",
      tied: "false",
      features: '{"bags":[{"kind":"all"}]}',
    }),
    {
      lr: 0.01,
      batch: 128,
      hidden: [128, 64],
      tied: false,
      features: { bags: [{ kind: "all" }] },
    },
  );
  for (const given of [{ batch: "1" }, { batch: "" }, { lr: "fast" }, { hidden: "8,,4" }]) {
    assert.equal(schema.safeParse(given).success, false, JSON.stringify(given));
  }
});
