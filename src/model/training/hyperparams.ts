/**
 * The one table of training hyperparameters: flag, type, range, default and help of each. It
 * drives the defaults, the validation, the CLI flags and help of `train`/`start`, the params a run
 * logs, and the pipeline's run parameters; the API builds the schema of a pipeline trigger's
 * training parameters from it too (src/api/schemas/training_params.ts).
 */
import { invalid } from "../../errors.ts";
import {
  DEFAULT_FEATURES,
  type FeatureSpec,
  validateFeatureSpec,
} from "../../features/history_features.ts";

/** One hyperparameter's description. Ranges are inclusive unless marked exclusive. */
export type ParamSpec =
  | { type: "int"; default: number; min: number; max: number; help: string; flag?: string }
  | {
    type: "number";
    default: number;
    min: number;
    max: number;
    /** The bounds themselves are not allowed. */
    exclusive?: "min" | "max" | "both";
    help: string;
    flag?: string;
  }
  | { type: "bool"; default: boolean; help: string; flag?: string }
  | {
    type: "ints";
    default: readonly number[];
    min: number;
    max: number;
    help: string;
    flag?: string;
  }
  | { type: "enum"; default: string; values: readonly string[]; help: string; flag?: string }
  | { type: "features"; default: FeatureSpec; help: string; flag?: string };

/** Every hyperparameter of a training run, by its name in {@link TrainParams}. */
export const HYPERPARAMS = {
  dim: {
    type: "int",
    default: 64,
    min: 4,
    max: 1024,
    help: "width of the movie embedding shared by every history bag",
  },
  hidden: { type: "ints", default: [256], min: 1, max: 8192, help: "hidden layer sizes" },
  projection: {
    type: "int",
    default: 0,
    min: 0,
    max: 8192,
    help: "width of a linear layer before the output; 0 = none, or dim when tied needs one",
  },
  tied: {
    type: "bool",
    default: true,
    help: "score movies with the input embedding itself (one table) instead of an output table",
  },
  tables: {
    type: "enum",
    default: "f16",
    values: ["f32", "f16", "i8"],
    help: "checkpoint storage of the movie tables: float32, float16 or 8-bit with a scale per row",
  },
  features: {
    type: "features",
    default: DEFAULT_FEATURES,
    help: 'history bags as JSON, e.g. {"bags":[{"kind":"recent","tau":1},{"kind":"all"}]}',
  },
  dropout: {
    type: "number",
    default: 0.3,
    min: 0,
    max: 1,
    exclusive: "max",
    help: "dropout on hidden activations",
  },
  inputDropout: {
    type: "number",
    default: 0.3,
    min: 0,
    max: 1,
    exclusive: "max",
    help: "dropout on the movies of a training history",
  },
  maskHistory: {
    type: "bool",
    default: true,
    help: "leave a history's own movies out of its training softmax",
  },
  lr: {
    type: "number",
    default: 5e-3,
    min: 0,
    max: 1,
    exclusive: "min",
    help: "Adam learning rate",
  },
  schedule: {
    type: "enum",
    default: "constant",
    values: ["constant", "cosine"],
    help: "learning-rate schedule over the epochs: constant, or cosine decay to lr/20",
  },
  weightDecay: {
    type: "number",
    default: 0.05,
    min: 0,
    max: 1,
    help: "decoupled weight decay on dense weights",
  },
  batchSize: {
    type: "int",
    default: 256,
    min: 2,
    max: 8192,
    flag: "batch",
    help: "mini-batch size (≥ 2 for BatchNorm)",
  },
  negatives: {
    type: "int",
    default: 512,
    min: 0,
    max: 1 << 20,
    help: "sampled-softmax negatives per batch, 0 = full softmax",
  },
  negativePower: {
    type: "number",
    default: 0.5,
    min: 0,
    max: 1,
    help: "negatives are drawn ∝ (popularity + 1)^power: 1 as watched, lower favours the long tail",
  },
  prefixesPerUser: {
    type: "int",
    default: 100,
    min: 1,
    max: 1 << 20,
    flag: "prefixes",
    help: "training prefixes sampled per user and epoch",
  },
  epochs: {
    type: "int",
    default: 14,
    min: 1,
    max: 1000,
    help: "most epochs; early stopping on validation NDCG@10",
  },
  patience: {
    type: "int",
    default: 3,
    min: 1,
    max: 1000,
    help: "epochs without a better validation NDCG@10 before a member stops",
  },
  averageTop: {
    type: "int",
    default: 3,
    min: 1,
    max: 100,
    help: "a member's weights: the mean of its N best epochs",
  },
  members: {
    type: "int",
    default: 2,
    min: 1,
    max: 64,
    help: "independently seeded networks averaged into one",
  },
  transitionWindow: {
    type: "int",
    default: 5,
    min: 0,
    max: 100,
    help: "item-to-item transition term: pairs up to N movies apart; 0 = the network alone",
  },
  transitionKeep: {
    type: "int",
    default: 100,
    min: 1,
    max: 1 << 16,
    help: "successors kept per movie in the transition term",
  },
  seed: {
    type: "int",
    default: 1,
    min: 0,
    max: 2 ** 31 - 1,
    help: "seed for initialisation, sampling and shuffling",
  },
} as const satisfies Record<string, ParamSpec>;

type Table = typeof HYPERPARAMS;
type ValueOf<S> = S extends { type: "int" | "number" } ? number
  : S extends { type: "bool" } ? boolean
  : S extends { type: "ints" } ? number[]
  : S extends { type: "enum"; values: readonly (infer V)[] } ? V
  : S extends { type: "features" } ? FeatureSpec
  : never;

/** Every hyperparameter of a training run (logged as the run's params). */
export type TrainParams = { -readonly [K in keyof Table]: ValueOf<Table[K]> };

/** A hyperparameter's name. */
export type ParamName = keyof Table;

/** The names in table order. */
export const PARAM_NAMES = Object.keys(HYPERPARAMS) as ParamName[];

/** The defaults, chosen on validation NDCG@10 of ml-latest-small and not per data set. */
export const DEFAULT_PARAMS: TrainParams = Object.fromEntries(
  PARAM_NAMES.map((k) => {
    const d = HYPERPARAMS[k].default;
    return [k, Array.isArray(d) ? [...d] : d];
  }),
) as TrainParams;

/** The command-line flag of a hyperparameter (`--batch`, `--input-dropout`, …). */
export function flagOf(name: ParamName): string {
  return flagName(name, HYPERPARAMS[name]);
}

/** The flag of a table entry: its own, or its name in kebab case (of any table, e.g. a test's). */
export function flagName(name: string, spec: ParamSpec): string {
  return spec.flag ?? name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/**
 * A flag's text as a value of `spec`'s type, not yet checked: a number (NaN when it is none), a
 * list, true/false (else the text itself), an enum's text, or parsed JSON for a feature spec
 * (throws SyntaxError when it is not JSON).
 */
export function valueFromText(spec: ParamSpec, raw: string): unknown {
  switch (spec.type) {
    case "int":
    case "number":
      return raw.trim() === "" ? NaN : Number(raw);
    case "bool":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "ints":
      return raw.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
    case "enum":
      return raw;
    case "features":
      return JSON.parse(raw);
  }
}

// What a value must be, in words, for error messages and help.
function expectation(spec: ParamSpec): string {
  switch (spec.type) {
    case "int":
      return `an integer in ${spec.min}..${spec.max}`;
    case "number": {
      const lo = spec.exclusive === "min" || spec.exclusive === "both" ? "(" : "[";
      const hi = spec.exclusive === "max" || spec.exclusive === "both" ? ")" : "]";
      return `a number in ${lo}${spec.min}, ${spec.max}${hi}`;
    }
    case "bool":
      return "true or false";
    case "ints":
      return `a non-empty list of integers in ${spec.min}..${spec.max}`;
    case "enum":
      return `one of ${spec.values.join(", ")}`;
    case "features":
      return "a feature spec";
  }
}

/** Checks one value against its spec; throws INVALID_PARAMETER naming the parameter. */
export function checkParam(name: ParamName, value: unknown): void {
  const spec: ParamSpec = HYPERPARAMS[name];
  const inRange = (n: number) => {
    if (spec.type !== "int" && spec.type !== "number" && spec.type !== "ints") return true;
    const ex = spec.type === "number" ? spec.exclusive : undefined;
    const lo = ex === "min" || ex === "both" ? n > spec.min : n >= spec.min;
    const hi = ex === "max" || ex === "both" ? n < spec.max : n <= spec.max;
    return lo && hi;
  };
  let ok: boolean;
  switch (spec.type) {
    case "int":
      ok = Number.isInteger(value) && inRange(value as number);
      break;
    case "number":
      ok = typeof value === "number" && Number.isFinite(value) && inRange(value);
      break;
    case "bool":
      ok = typeof value === "boolean";
      break;
    case "ints":
      ok = Array.isArray(value) && value.length > 0 &&
        value.every((v) => Number.isInteger(v) && inRange(v));
      break;
    case "enum":
      ok = (spec.values as readonly unknown[]).includes(value);
      break;
    case "features":
      validateFeatureSpec(value as FeatureSpec);
      ok = true;
  }
  if (!ok) throw invalid(`${name} must be ${expectation(spec)}, got ${JSON.stringify(value)}`);
}

/** The defaults overridden by `params`, every value checked (INVALID_PARAMETER names a bad one). */
export function resolveParams(params: Partial<TrainParams> = {}): TrainParams {
  for (const k of Object.keys(params)) {
    if (!(k in HYPERPARAMS)) throw invalid(`unknown training parameter "${k}"`);
  }
  const p = { ...DEFAULT_PARAMS, ...params } as TrainParams;
  for (const k of PARAM_NAMES) checkParam(k, p[k]);
  if (p.tied && p.projection !== 0 && p.projection !== p.dim) {
    throw invalid(
      `tied scores with the ${p.dim}-wide embedding, so projection must be 0 or ${p.dim}, got ${p.projection}`,
    );
  }
  return p;
}

/** Parses a flag's text into a value of `name`'s type (checked); INVALID_PARAMETER names the flag. */
export function parseParam(name: ParamName, raw: string): TrainParams[ParamName] {
  const spec: ParamSpec = HYPERPARAMS[name];
  let value: unknown;
  try {
    value = valueFromText(spec, raw);
  } catch {
    throw invalid(`--${flagOf(name)} must be JSON, got "${raw}"`);
  }
  try {
    checkParam(name, value);
  } catch {
    throw invalid(`--${flagOf(name)} must be ${expectation(spec)}, got "${raw}"`);
  }
  return value as TrainParams[ParamName];
}

/** One help line per hyperparameter: flag, what it takes, what it does, the default. */
export function paramsHelp(): string {
  return PARAM_NAMES.map((k) => {
    const spec: ParamSpec = HYPERPARAMS[k];
    const d = spec.default;
    const shown = spec.type === "features" ? "4 bags" : Array.isArray(d) ? d.join(",") : String(d);
    return `  --${flagOf(k).padEnd(16)} ${spec.help} [${shown}]`;
  }).join("\n");
}

/** The params as a run logs them: snake_case keys, lists joined, the feature spec as JSON. */
export function loggedParams(p: TrainParams): Record<string, string | number | boolean> {
  return Object.fromEntries(PARAM_NAMES.map((k) => {
    const v = p[k];
    const key = k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
    const shown = Array.isArray(v) ? v.join(",") : typeof v === "object" ? JSON.stringify(v) : v;
    return [key, shown as string | number | boolean];
  }));
}

/**
 * The projection the network gets: the flag's value, or — for a tied output whose last hidden
 * layer is not `dim` wide — a `dim`-wide one, since scores are dot products with the embedding.
 */
export function effectiveProjection(p: TrainParams): number {
  if (p.projection) return p.projection;
  return p.tied && p.hidden[p.hidden.length - 1] !== p.dim ? p.dim : 0;
}
