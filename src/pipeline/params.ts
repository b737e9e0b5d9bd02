/**
 * Run parameters of a DAG as one table (name → type, range, default, help, the task that reads
 * it): defaults, validation, CLI `--param k=v` parsing, API bodies and help all come from it.
 * Training flags are not repeated here: they come from the one hyperparameter table.
 */
import { invalid } from "../errors.ts";
import {
  checkParam,
  flagOf,
  HYPERPARAMS,
  PARAM_NAMES,
  type ParamName,
  type ParamSpec as HyperSpec,
  parseParam,
  type TrainParams,
} from "../model/mod.ts";
import type { Json } from "./dag.ts";

/** One run parameter. `task` names the task that reads it (help groups them by task). */
export type ParamSpec =
  | { type: "string"; default: string; help: string; task: string; pattern?: RegExp }
  | { type: "int"; default: number; min: number; max: number; help: string; task: string }
  | { type: "number"; default: number; min: number; max: number; help: string; task: string }
  | {
    /** Some of `values`, comma-separated (or a JSON array), stored as one text in `values`' order. */
    type: "list";
    default: string;
    values: readonly string[];
    help: string;
    task: string;
  }
  | { type: "enum"; default: string; values: readonly string[]; help: string; task: string }
  | { type: "training"; name: ParamName; task: string };

/** A DAG's parameters by name (the name is what `--param name=value` and the API use). */
export type ParamTable = Readonly<Record<string, ParamSpec>>;

/** Resolved parameter values by name. */
export type ParamValues = Readonly<Record<string, Json>>;

/** Every training hyperparameter as a run parameter of `task`, named by its CLI flag (`lr`, `batch`). */
export function trainingParams(task: string): Record<string, ParamSpec> {
  return Object.fromEntries(
    PARAM_NAMES.map((name) => [flagOf(name), { type: "training", name, task } as ParamSpec]),
  );
}

function defaultOf(spec: ParamSpec): Json {
  if (spec.type !== "training") return spec.default;
  const d = (HYPERPARAMS[spec.name] as HyperSpec).default;
  return structuredClone(d) as Json;
}

function expectation(spec: Exclude<ParamSpec, { type: "training" }>): string {
  if (spec.type === "int") return `an integer in ${spec.min}..${spec.max}`;
  if (spec.type === "number") return `a number in ${spec.min}..${spec.max}`;
  if (spec.type === "list") return `a comma-separated list of some of ${spec.values.join(", ")}`;
  if (spec.type === "enum") return `one of ${spec.values.join(", ")}`;
  return spec.pattern ? `text matching ${spec.pattern}` : "text";
}

function check(name: string, spec: ParamSpec, value: unknown): Json {
  if (spec.type === "training") {
    try {
      const parsed = typeof value === "string" ? parseParam(spec.name, value) : value;
      checkParam(spec.name, parsed);
      return parsed as Json;
    } catch (err) {
      throw invalid(`parameter ${name}: ${(err as Error).message}`);
    }
  }
  if (spec.type === "list") return checkList(name, spec, value);
  let v = value;
  const numeric = spec.type === "int" || spec.type === "number";
  if (numeric && typeof v === "string") v = v.trim() === "" ? NaN : Number(v);
  const ok = numeric
    ? (spec.type === "int" ? Number.isInteger(v) : Number.isFinite(v)) &&
      (v as number) >= spec.min && (v as number) <= spec.max
    : spec.type === "enum"
    ? spec.values.includes(v as string)
    : typeof v === "string" && (!spec.pattern || spec.pattern.test(v));
  if (!ok) {
    throw invalid(`parameter ${name} must be ${expectation(spec)}, got ${JSON.stringify(value)}`);
  }
  return v as Json;
}

// A list parameter: names from `values`, at least one; stored in the table's order, without
// repeats, so one set of names is one value (and one idempotency key).
function checkList(name: string, spec: Extract<ParamSpec, { type: "list" }>, value: unknown): Json {
  const words = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : null;
  const names = words?.map((w) => (typeof w === "string" ? w.trim().toLowerCase() : w));
  const bad = names === undefined ||
    names.length === 0 ||
    names.some((n) => typeof n !== "string" || !spec.values.includes(n));
  if (bad) {
    throw invalid(`parameter ${name} must be ${expectation(spec)}, got ${JSON.stringify(value)}`);
  }
  return spec.values.filter((v) => names.includes(v)).join(",");
}

/**
 * The table's defaults overridden by `given` (values as typed JSON, or as text from the command
 * line), every value checked. Throws INVALID_PARAMETER naming an unknown or bad parameter.
 */
export function resolveParams(
  table: ParamTable,
  given: Readonly<Record<string, unknown>> = {},
): ParamValues {
  const out: Record<string, Json> = {};
  for (const name of Object.keys(given)) {
    if (!(name in table)) {
      throw invalid(
        `unknown parameter "${name}"; parameters are ${Object.keys(table).join(", ")}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(table)) {
    out[name] = name in given && given[name] !== undefined
      ? check(name, spec, given[name])
      : defaultOf(spec);
  }
  return out;
}

/** Parses `k=v` words (from `--param`) into a map of raw values; a word without `=` is an error. */
export function parseAssignments(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const at = w.indexOf("=");
    if (at <= 0) throw invalid(`--param takes name=value, got "${w}"`);
    out[w.slice(0, at)] = w.slice(at + 1);
  }
  return out;
}

/** A parameter as help, the API and pages describe it. */
export interface ParamInfo {
  name: string;
  task: string;
  /** What it does; an enum's values are listed in it. */
  help: string;
  default: Json;
}

/** Every parameter of `table`, described (training ones from the hyperparameter table). */
export function describeParams(table: ParamTable): ParamInfo[] {
  return Object.entries(table).map(([name, spec]) => ({
    name,
    task: spec.task,
    help: spec.type === "training"
      ? (HYPERPARAMS[spec.name] as HyperSpec).help
      : spec.type === "enum"
      ? `${spec.help} (${spec.values.join("|")})`
      : spec.type === "list"
      ? `${spec.help} (some of ${spec.values.join(",")})`
      : spec.help,
    default: defaultOf(spec),
  }));
}

/** Help lines, one per parameter: name, what it does, its default, its task. */
export function paramsHelp(table: ParamTable): string {
  return describeParams(table).map((p) => {
    const d = p.default;
    const shown = Array.isArray(d)
      ? d.join(",")
      : typeof d === "object" && d
      ? "4 bags"
      : String(d);
    return `  ${p.name.padEnd(18)} ${p.help} [${shown}] (${p.task})`;
  }).join("\n");
}

/** The training hyperparameters among `values`, by their names in TrainParams. */
export function trainingValues(table: ParamTable, values: ParamValues): Partial<TrainParams> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    if (spec.type === "training" && name in values) out[spec.name] = values[name];
  }
  return out as Partial<TrainParams>;
}
