/** `deno task runs list | show ID`: tracked training runs from a terminal. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import type { MetricPoint, Run, RunStatus, TrackingStore } from "../tracking/store.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatTable } from "./table.ts";

const HELP = `
Usage: deno task runs <command> [options]

Commands:
  list                 runs, newest first
  show ID              one run: status, params, tags, latest metrics, artifacts

Options (list):
  --limit N            how many runs (default 20, at most 1000)
  --status S           only runs in status running, finished, failed or killed
  --experiment NAME    only runs of this experiment
Options:
  --json               print JSON instead of a table
  -h, --help           show this help
`;

/** A terminal screen's worth; --json has the whole history. */
const MAX_HISTORY_ROWS = 50;
const STATUSES: RunStatus[] = ["running", "finished", "failed", "killed"];
const fmtDate = (d: Date | null) => (d ? d.toISOString().slice(0, 19).replace("T", " ") : null);
const fmtNum = (v: number | undefined) => (typeof v === "number" ? Number(v.toPrecision(4)) : null);

function duration(run: Run): string | null {
  if (!run.endTime) return null;
  const s = (run.endTime.getTime() - run.startTime.getTime()) / 1000;
  return s < 120 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(1)}m`;
}

async function list(
  store: TrackingStore,
  opts: { limit: number; status?: RunStatus; experiment?: string; json: boolean },
): Promise<void> {
  const page = await store.searchRuns({
    limit: opts.limit,
    filter: { status: opts.status, experiment: opts.experiment },
  });
  if (opts.json) {
    console.log(JSON.stringify(page, null, 2));
    return;
  }
  if (page.items.length === 0) {
    console.log("no runs match; start one with: deno task train");
    return;
  }
  console.log(formatTable(
    ["id", "experiment", "name", "status", "started", "duration", "val_ndcg10", "test_ndcg10"],
    page.items.map((r) => [
      r.id,
      r.experimentName,
      r.name,
      r.status,
      fmtDate(r.startTime),
      duration(r),
      fmtNum(r.metrics.val_ndcg10),
      fmtNum(r.metrics.test_ndcg10),
    ]),
  ));
  if (page.nextPageToken) console.log(`(more runs exist; raise --limit to see them)`);
}

/** Per-step values of every metric logged at more than one step (e.g. per epoch), one row per step. */
function printHistory(history: Record<string, MetricPoint[]>): void {
  const keys = Object.keys(history).filter((k) => history[k].length > 1);
  if (keys.length === 0) return;
  const steps = [...new Set(keys.flatMap((k) => history[k].map((p) => p.step)))].sort((a, b) =>
    a - b
  );
  const at = new Map(keys.map((k) => [k, new Map(history[k].map((p) => [p.step, p.value]))]));
  const shown = steps.slice(-MAX_HISTORY_ROWS);
  console.log(
    `\nmetric history${
      shown.length < steps.length ? ` (last ${shown.length} of ${steps.length} steps)` : ""
    }`,
  );
  console.log(
    formatTable(
      ["step", ...keys],
      shown.map((s) => [s, ...keys.map((k) => fmtNum(at.get(k)!.get(s)))]),
    ),
  );
}

async function show(store: TrackingStore, id: string, json: boolean): Promise<void> {
  const run = await store.getRun(id);
  const artifacts = await store.listArtifacts(id);
  const history: Record<string, MetricPoint[]> = {};
  for (const key of Object.keys(run.metrics).sort()) {
    history[key] = await store.getMetricHistory(id, key);
  }
  if (json) {
    console.log(JSON.stringify({ ...run, artifacts, history }, null, 2));
    return;
  }
  const fields: [string, string | null][] = [
    ["id", run.id],
    ["experiment", run.experimentName],
    ["name", run.name || null],
    ["status", run.status + (run.statusReason ? ` (${run.statusReason})` : "")],
    ["started", fmtDate(run.startTime)],
    ["ended", fmtDate(run.endTime)],
    ["duration", duration(run)],
    ["code version", run.codeVersion],
    ["snapshot", run.snapshotId],
  ];
  console.log(fields.map(([k, v]) => `${k.padEnd(13)} ${v ?? "-"}`).join("\n"));
  const section = (title: string, rows: [string, string | number][]) => {
    if (rows.length === 0) return;
    console.log(`\n${title}`);
    console.log(formatTable(["key", "value"], rows.sort(([a], [b]) => a.localeCompare(b))));
  };
  section("params", Object.entries(run.params));
  section("tags", Object.entries(run.tags));
  section("metrics (latest)", Object.entries(run.metrics));
  printHistory(history);
  if (artifacts.length > 0) {
    console.log("\nartifacts");
    console.log(
      formatTable(
        ["path", "size", "sha256"],
        artifacts.map((a) => [a.path, a.size, a.sha256.slice(0, 16)]),
      ),
    );
  }
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    limit: { type: "string" },
    status: { type: "string" },
    experiment: { type: "string" },
    json: { type: "boolean" },
  });
  const [command, arg, ...extra] = positionals;
  const json = values.json ?? false;
  if (command !== "list" && command !== "show") {
    throw new UsageError(
      command
        ? `unknown command "${command}": expected list or show ID`
        : "missing command: expected list or show ID",
    );
  }
  if (extra.length > 0 || (command === "list" && arg !== undefined)) {
    throw new UsageError(`unexpected argument "${extra[0] ?? arg}" after ${command}`);
  }
  if (command === "show" && !arg) throw new UsageError("show needs a run ID, e.g. runs show 3f2a…");
  const limit = intFlag("limit", values.limit, 20);
  if (limit > 1000) throw new UsageError(`--limit must be at most 1000, got "${values.limit}"`);
  const status = values.status as RunStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got "${status}"`);
  }

  const ctx = await openContext(config);
  try {
    const store = ctx.tracking;
    if (command === "list") {
      await list(store, { limit, status, experiment: values.experiment, json });
    } else await show(store, arg!, json);
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
