/** `deno task models list | promote VERSION | rollback [VERSION]`: the model registry from a terminal. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { type AliasChange, MODEL_NAME, type ModelRegistry } from "../registry/store.ts";
import { parseFlags, runCli, UsageError } from "./args.ts";
import { formatTable } from "./table.ts";

const HELP = `
Usage: deno task models <command> [options]

Commands:
  list                 versions of the model with their aliases and metrics (newest first)
  promote VERSION      make VERSION the production model, whatever its metrics
  rollback [VERSION]   move production back to the previous production version, or to VERSION

Options:
  --model NAME         registered model name (default: reelrank)
  --json               print JSON instead of a table
  -h, --help           show this help
`;

function parseVersion(raw: string | undefined, command: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${command} VERSION must be an integer ≥ 1, got "${raw}"`);
  }
  return n;
}

const fmtMetric = (v: number | undefined) => (typeof v === "number" ? Number(v.toFixed(4)) : null);
const fmtDate = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");

async function list(registry: ModelRegistry, model: string, json: boolean): Promise<void> {
  const known = (await registry.listModels()).some((m) => m.name === model);
  const versions = known ? await registry.listVersions(model) : [];
  if (json) {
    console.log(JSON.stringify({ model, versions }, null, 2));
    return;
  }
  if (versions.length === 0) {
    console.log(`model "${model}" has no versions yet; train one with: deno task train`);
    return;
  }
  console.log(formatTable(
    ["version", "aliases", "family", "val_ndcg10", "test_ndcg10", "run", "snapshot", "created"],
    versions.map((v) => [
      v.version,
      v.aliases.join(","),
      v.family,
      fmtMetric(v.metrics.val_ndcg10),
      fmtMetric(v.metrics.test_ndcg10),
      v.runId?.slice(0, 8),
      v.snapshotId,
      fmtDate(v.createdAt),
    ]),
  ));
}

function report(change: AliasChange, json: boolean): void {
  if (json) console.log(JSON.stringify(change, null, 2));
  else {
    console.log(
      `${change.alias} of "${change.model}": version ${
        change.fromVersion ?? "none"
      } → ${change.toVersion} (${change.reason})`,
    );
  }
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    model: { type: "string" },
    json: { type: "boolean" },
  });
  const [command, arg, ...extra] = positionals;
  const model = values.model ?? MODEL_NAME;
  const json = values.json ?? false;
  if (!command) {
    throw new UsageError("missing command: expected list, promote VERSION or rollback [VERSION]");
  }
  if (!["list", "promote", "rollback"].includes(command)) {
    throw new UsageError(`unknown command "${command}": expected list, promote or rollback`);
  }
  if (extra.length > 0 || (command === "list" && arg !== undefined)) {
    throw new UsageError(`unexpected argument "${extra[0] ?? arg}" after ${command}`);
  }
  const version = parseVersion(arg, command);
  if (command === "promote" && version === undefined) {
    throw new UsageError("promote needs a VERSION, e.g. models promote 3");
  }

  const ctx = await openContext(config);
  try {
    const registry = ctx.registry;
    if (command === "list") await list(registry, model, json);
    else if (command === "promote") report(await registry.promote(model, version!), json);
    else report(await registry.rollback(model, { version }), json);
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
