/** The one table of training hyperparameters: defaults, bounds, flag parsing, help and logged params. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import {
  checkParam,
  DEFAULT_PARAMS,
  effectiveProjection,
  flagOf,
  HYPERPARAMS,
  loggedParams,
  PARAM_NAMES,
  type ParamName,
  paramsHelp,
  type ParamSpec,
  parseParam,
  resolveParams,
} from "../../../src/model/training/hyperparams.ts";

function invalidNaming(pattern: RegExp | string) {
  const re = typeof pattern === "string"
    ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"))
    : pattern;
  return (err: unknown) =>
    err instanceof ReelrankError && err.code === "INVALID_PARAMETER" && re.test(err.message);
}

const spec = (name: ParamName): ParamSpec => HYPERPARAMS[name];

Deno.test("every default passes checkParam and resolveParams() with no overrides returns the defaults", () => {
  for (const name of PARAM_NAMES) checkParam(name, DEFAULT_PARAMS[name]);
  assert.deepEqual(resolveParams(), DEFAULT_PARAMS);
  assert.deepEqual(Object.keys(DEFAULT_PARAMS), PARAM_NAMES);
  // The defaults are copies: changing one cannot change the table.
  DEFAULT_PARAMS.hidden.push(1);
  assert.notDeepEqual(HYPERPARAMS.hidden.default, DEFAULT_PARAMS.hidden);
  DEFAULT_PARAMS.hidden.pop();
});

Deno.test("every numeric spec rejects values just outside its bounds, naming the parameter", () => {
  let checked = 0;
  for (const name of PARAM_NAMES) {
    const s = spec(name);
    if (s.type !== "int" && s.type !== "number" && s.type !== "ints") continue;
    const wrap = (v: number) => (s.type === "ints" ? [v] : v);
    const step = s.type === "number" ? Math.max(1e-9, (s.max - s.min) * 1e-9) : 1;
    const ex = s.type === "number" ? s.exclusive : undefined;
    const lowOut = ex === "min" || ex === "both" ? s.min : s.min - step;
    const highOut = ex === "max" || ex === "both" ? s.max : s.max + step;
    for (const bad of [lowOut, highOut]) {
      assert.throws(
        () => checkParam(name, wrap(bad)),
        invalidNaming(new RegExp(`^${name} must be`)),
        `${name} = ${bad}`,
      );
    }
    // The bounds themselves (or just inside an exclusive one) are accepted.
    checkParam(name, wrap(ex === "min" || ex === "both" ? s.min + step : s.min));
    checkParam(name, wrap(ex === "max" || ex === "both" ? s.max - step : s.max));
    if (s.type !== "number") {
      assert.throws(
        () => checkParam(name, wrap(s.min + 0.5)),
        invalidNaming(name),
        `${name} is an integer`,
      );
    }
    checked++;
  }
  assert.ok(checked >= 12, `checked ${checked} numeric params`);
});

Deno.test("bool, enum, ints and features specs reject values of the wrong kind, naming the parameter", () => {
  assert.throws(
    () => checkParam("tied", "yes"),
    invalidNaming(/^tied must be true or false, got "yes"/),
  );
  assert.throws(
    () => checkParam("tables", "f8"),
    invalidNaming(/^tables must be one of f32, f16, i8, got "f8"/),
  );
  assert.throws(
    () => checkParam("schedule", "linear"),
    invalidNaming(/^schedule must be one of constant, cosine/),
  );
  assert.throws(
    () => checkParam("hidden", []),
    invalidNaming(/^hidden must be a non-empty list of integers/),
  );
  assert.throws(() => checkParam("hidden", 64), invalidNaming(/^hidden must be/));
  assert.throws(
    () => checkParam("lr", Number.NaN),
    invalidNaming(/^lr must be a number in \(0, 1\]/),
  );
  assert.throws(
    () => checkParam("dropout", 1),
    invalidNaming(/^dropout must be a number in \[0, 1\), got 1/),
  );
  assert.throws(
    () => checkParam("features", { bags: [{ kind: "recent", tau: -1 }] }),
    invalidNaming(/feature bag must be/),
  );
});

Deno.test("parseParam() parses every type from flag text", () => {
  assert.equal(parseParam("batchSize", "128"), 128);
  assert.equal(parseParam("lr", "0.005"), 0.005);
  assert.equal(parseParam("inputDropout", "0"), 0);
  assert.equal(parseParam("tied", "false"), false);
  assert.equal(parseParam("maskHistory", "true"), true);
  assert.deepEqual(parseParam("hidden", "128,64"), [128, 64]);
  assert.equal(parseParam("tables", "i8"), "i8");
  assert.equal(parseParam("schedule", "cosine"), "cosine");
  assert.deepEqual(parseParam("features", '{"bags":[{"kind":"all","max":50}]}'), {
    bags: [{ kind: "all", max: 50 }],
  });
});

Deno.test("parseParam() rejects bad text naming the flag and the text", () => {
  const { batchSize: b, prefixesPerUser: pre, hidden: h, tables: t } = HYPERPARAMS;
  const batch = `--batch must be an integer in ${b.min}..${b.max}`;
  assert.throws(
    () => parseParam("batchSize", String(b.min - 1)),
    invalidNaming(`${batch}, got "${b.min - 1}"`),
  );
  assert.throws(() => parseParam("batchSize", "many"), invalidNaming(`${batch}, got "many"`));
  assert.throws(() => parseParam("batchSize", ""), invalidNaming(`${batch}, got ""`));
  assert.throws(
    () => parseParam("inputDropout", "1"),
    invalidNaming('--input-dropout must be a number in [0, 1), got "1"'),
  );
  assert.throws(
    () => parseParam("inputDropout", "-0.1"),
    invalidNaming('--input-dropout must be a number in [0, 1), got "-0.1"'),
  );
  assert.throws(
    () => parseParam("prefixesPerUser", "0"),
    invalidNaming(`--prefixes must be an integer in ${pre.min}..${pre.max}, got "0"`),
  );
  assert.throws(
    () => parseParam("hidden", "128,,64"),
    invalidNaming(
      `--hidden must be a non-empty list of integers in ${h.min}..${h.max}, got "128,,64"`,
    ),
  );
  assert.throws(
    () => parseParam("tied", "1"),
    invalidNaming('--tied must be true or false, got "1"'),
  );
  assert.throws(
    () => parseParam("tables", "F16"),
    invalidNaming(`--tables must be one of ${t.values.join(", ")}, got "F16"`),
  );
  assert.throws(
    () => parseParam("features", "{bags"),
    invalidNaming('--features must be JSON, got "{bags"'),
  );
  assert.throws(
    () => parseParam("features", '{"bags":[]}'),
    invalidNaming("--features must be a feature spec"),
  );
});

Deno.test("flagOf() gives kebab-case flags, or the table's own flag", () => {
  assert.equal(flagOf("batchSize"), "batch");
  assert.equal(flagOf("inputDropout"), "input-dropout");
  assert.equal(flagOf("prefixesPerUser"), "prefixes");
  assert.equal(flagOf("weightDecay"), "weight-decay");
  assert.equal(flagOf("dim"), "dim");
  const flags = PARAM_NAMES.map(flagOf);
  assert.equal(new Set(flags).size, flags.length, "flags are distinct");
  for (const f of flags) assert.match(f, /^[a-z]+(-[a-z]+)*$/);
});

Deno.test("resolveParams() rejects unknown keys and a bad value by name", () => {
  assert.throws(
    () => resolveParams({ epoch: 3 } as never),
    invalidNaming('unknown training parameter "epoch"'),
  );
  assert.throws(() => resolveParams({ batchSize: 1 }), invalidNaming(/^batchSize must be/));
  assert.throws(() => resolveParams({ hidden: [] }), invalidNaming(/^hidden must be/));
  assert.deepEqual(resolveParams({ dim: 32, epochs: 2 }), {
    ...DEFAULT_PARAMS,
    dim: 32,
    epochs: 2,
  });
});

Deno.test("resolveParams() rejects a tied output with a projection other than dim", () => {
  assert.throws(
    () => resolveParams({ tied: true, dim: 64, projection: 32 }),
    invalidNaming("projection must be 0 or 64, got 32"),
  );
  assert.equal(resolveParams({ tied: true, dim: 64, projection: 64 }).projection, 64);
  assert.equal(resolveParams({ tied: false, dim: 64, projection: 32 }).projection, 32);
});

Deno.test("effectiveProjection() adds a dim-wide projection only when a tied output needs one", () => {
  const p = (o: Partial<typeof DEFAULT_PARAMS>) => resolveParams(o);
  assert.equal(effectiveProjection(p({ tied: true, dim: 64, hidden: [256] })), 64);
  assert.equal(effectiveProjection(p({ tied: true, dim: 64, hidden: [256, 64] })), 0);
  assert.equal(effectiveProjection(p({ tied: false, dim: 64, hidden: [256] })), 0);
  assert.equal(effectiveProjection(p({ tied: false, dim: 64, hidden: [256], projection: 48 })), 48);
});

Deno.test("loggedParams() covers every param with snake_case keys and loggable values", () => {
  const logged = loggedParams(DEFAULT_PARAMS);
  assert.equal(Object.keys(logged).length, PARAM_NAMES.length);
  for (const key of Object.keys(logged)) assert.match(key, /^[a-z0-9]+(_[a-z0-9]+)*$/);
  assert.ok("batch_size" in logged && "input_dropout" in logged && "prefixes_per_user" in logged);
  for (const v of Object.values(logged)) {
    assert.ok(["string", "number", "boolean"].includes(typeof v));
  }
  const mine = loggedParams(resolveParams({ hidden: [128, 64] }));
  assert.equal(mine.hidden, "128,64");
  assert.deepEqual(JSON.parse(mine.features as string), DEFAULT_PARAMS.features);
  assert.equal(mine.tied, DEFAULT_PARAMS.tied);
});

Deno.test("paramsHelp() has one line per param with its flag and default", () => {
  const lines = paramsHelp().split("\n");
  assert.equal(lines.length, PARAM_NAMES.length);
  PARAM_NAMES.forEach((name, i) => {
    assert.match(lines[i], new RegExp(`^  --${flagOf(name)} `), name);
    assert.ok(lines[i].includes(spec(name).help), `${name} help text`);
  });
  const batch = lines[PARAM_NAMES.indexOf("batchSize")];
  assert.ok(batch.endsWith(`[${DEFAULT_PARAMS.batchSize}]`), batch);
  const hidden = lines[PARAM_NAMES.indexOf("hidden")];
  assert.ok(hidden.endsWith(`[${DEFAULT_PARAMS.hidden.join(",")}]`), hidden);
});
