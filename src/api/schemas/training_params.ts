/**
 * The training parameters of a pipeline run as a zod schema built from the one hyperparameter
 * table (src/model/training/hyperparams.ts): per entry its type, range or values, default and help,
 * keyed by its flag as the DAG's parameters are (`lr`, `batch`, `input-dropout`).
 */
import { z } from "@hono/zod-openapi";
import { flagName, HYPERPARAMS, type ParamSpec, valueFromText } from "../../model/mod.ts";

const Bag = z.discriminatedUnion("kind", [
  z.looseObject({ kind: z.literal("recent"), tau: z.number().positive() }),
  z.looseObject({ kind: z.literal("all"), max: z.int().positive().optional() }),
]);

/** A feature spec: the history bags (src/features/history_features.ts). */
const Features = z.looseObject({ bags: z.array(Bag).min(1) });

// The value schema of one entry; a number's exclusive bound is exclusiveMinimum/Maximum.
function typed(spec: ParamSpec): z.ZodType {
  switch (spec.type) {
    case "int":
      return z.int().min(spec.min).max(spec.max);
    case "number": {
      const ex = spec.exclusive;
      const lo = ex === "min" || ex === "both" ? z.number().gt(spec.min) : z.number().min(spec.min);
      return ex === "max" || ex === "both" ? lo.lt(spec.max) : lo.max(spec.max);
    }
    case "bool":
      return z.boolean();
    case "ints":
      return z.array(z.int().min(spec.min).max(spec.max)).min(1);
    case "enum":
      return z.enum(spec.values as [string, ...string[]]);
    case "features":
      return Features;
  }
}

// A value may also come as text, as `--param k=v` sends it (the CLI's remote client posts text):
// it is read the way the flag is, then checked by the same schema.
function fromText(spec: ParamSpec) {
  return (v: unknown) => {
    if (typeof v !== "string") return v;
    try {
      return valueFromText(spec, v);
    } catch {
      return v; // not JSON: the feature spec's schema refuses the text itself
    }
  };
}

/** One entry's schema: optional (the run's default applies), documented with its help and default. */
function paramSchema(spec: ParamSpec) {
  return z.preprocess(fromText(spec), typed(spec)).optional().openapi({
    description: `${spec.help} (or the same as text, as \`--param\` sends it)`,
    default: structuredClone(spec.default) as unknown,
  });
}

/**
 * The training parameters of `table` (default: the hyperparameter table) as a zod object keyed by
 * flag; adding an entry to the table adds it here.
 */
export function trainingParamsSchema(
  table: Readonly<Record<string, ParamSpec>> = HYPERPARAMS,
) {
  return z.object(
    Object.fromEntries(
      Object.entries(table).map(([name, spec]) => [flagName(name, spec), paramSchema(spec)]),
    ),
  );
}
