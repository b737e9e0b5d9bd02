/** `deno task pipeline run | list | show RUN | logs RUN TASK`: the pipeline from a terminal. */
import type { Config } from "../config.ts";
import { invalid, ReelrankError } from "../errors.ts";
import { paramsHelp, parseAssignments, resolveParams } from "../pipeline/params.ts";
import { type PipelineRunStatus, RUN_STATUSES } from "../pipeline/store.ts";
import { RECOMMEND_DAG, recommendDag } from "../../pipelines/recommend_dag.ts";
import { dateFlag, intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { openPipelineClient, type PipelineClient } from "./pipeline_client.ts";
import {
  formatRunSummary,
  progressPrinter,
  seconds,
  stateMarks,
  taskSeconds,
} from "./pipeline_progress.ts";
import { formatTable } from "./table.ts";

const HELP = `
Usage: deno task pipeline <command> [options]

Commands:
  run [--param NAME=VALUE …]   start a run of the recommend DAG and follow it: each task as it
                               starts and ends, with its log lines (one summary in CI)
      --from TASK [--run ID]   re-run a failed run (default: the latest failed one) from TASK,
                               reusing the results of the tasks upstream of it
      --logical-date D         the date the run stands for: YYYY-MM-DD (midnight UTC) or a
                               date-time like 2026-01-02T03:00:00Z (default: now; with --from,
                               the earlier run's). Writes are keyed by it, so running a date
                               again leaves the same rows instead of adding to them
  list                         recent runs with the state of each task (newest first)
  show RUN                     one run: its tasks, attempts, errors and parameters
  logs RUN TASK                the log lines of a task's attempts (--attempt N for one)

Options:
  --status S        list: only runs in status ${RUN_STATUSES.join(", ")}
  --limit N         list: how many runs (default 20)
  --json            print JSON
  -h, --help        show this help

With PGlite, while \`deno task start\` holds the data folder, these commands talk to it through its
API (the admin token is read from the data folder) and the run executes there.

Parameters of the recommend DAG (--param NAME=VALUE; [default] (task)):
${paramsHelp(recommendDag.params)}
`;

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 19).replace("T", " ") : null);

async function run(
  client: PipelineClient,
  options: {
    dag: string;
    params: Record<string, string>;
    from?: string;
    run?: string;
    logicalDate?: Date;
    json: boolean;
    quiet: boolean;
  },
): Promise<void> {
  let from: { runId: string; taskId: string } | undefined;
  if (options.from) {
    const runId = options.run ??
      (await client.listRuns({ dag: options.dag, status: "failed", limit: 1 })).items[0]?.id;
    if (!runId) {
      throw invalid(
        `--from ${options.from}: DAG "${options.dag}" has no failed run; pass --run ID`,
      );
    }
    from = { runId, taskId: options.from };
  }
  if (!options.quiet) console.log(`starting a run of ${options.dag} in ${client.where}…`);
  const done = await client.run(
    {
      dag: options.dag,
      trigger: "manual",
      params: options.params,
      logicalDate: options.logicalDate,
      from,
    },
    progressPrinter({ quiet: options.quiet }),
  );
  const attempts = await client.listAttempts(done.id);
  if (options.json) console.log(JSON.stringify({ ...done, attempts }, null, 2));
  else console.log(`\n${formatRunSummary(done, attempts)}`);
  if (done.status !== "success") {
    throw new ReelrankError(
      "INTERNAL",
      `run ${done.id} failed: ${done.statusReason}; see \`deno task pipeline show ${done.id}\``,
    );
  }
}

async function list(
  client: PipelineClient,
  options: { dag: string; status?: PipelineRunStatus; limit: number; json: boolean },
): Promise<void> {
  const page = await client.listRuns(options);
  if (options.json) return console.log(JSON.stringify(page, null, 2));
  if (page.items.length === 0) {
    return console.log("no pipeline runs yet; start one with: deno task pipeline run");
  }
  const order = recommendDag.tasks.map((t) => t.id.slice(0, 2)).join(" ");
  console.log(formatTable(
    ["run", "trigger", "status", "logical date", "started", "duration", `tasks (${order})`],
    page.items.map((r) => [
      r.id,
      r.trigger,
      r.status,
      when(r.logicalDate),
      when(r.startedAt),
      r.startedAt && r.endedAt
        ? seconds((r.endedAt.getTime() - r.startedAt.getTime()) / 1000)
        : null,
      stateMarks(r).split("").join("  "),
    ]),
  ));
  if (page.more) console.log("(older runs exist; raise --limit to see them)");
}

async function show(client: PipelineClient, id: string, json: boolean): Promise<void> {
  const r = await client.getRun(id);
  const attempts = await client.listAttempts(id);
  if (json) return console.log(JSON.stringify({ ...r, attempts }, null, 2));
  console.log(
    `run ${r.id} (DAG ${r.dag}, ${r.trigger}): ${r.status}${
      r.statusReason ? ` — ${r.statusReason}` : ""
    }`,
  );
  console.log(
    `logical date ${when(r.logicalDate)} UTC, started ${when(r.startedAt) ?? "-"}, ended ${
      when(r.endedAt) ?? "-"
    }, on ${r.host || "?"} (pid ${r.pid ?? "?"})`,
  );
  if (r.fromRunId) console.log(`re-run of ${r.fromRunId} from task ${r.fromTask}`);
  console.log(`\n${
    formatTable(
      ["task", "status", "tries", "duration", "result"],
      r.tasks.map((
        t,
      ) => [
        t.taskId,
        t.status,
        t.tries || null,
        seconds(taskSeconds(t)),
        t.result === null ? null : JSON.stringify(t.result).slice(0, 120),
      ]),
    )
  }`);
  if (attempts.length) {
    console.log(`\n${
      formatTable(
        ["task", "attempt", "status", "duration", "error"],
        attempts.map((
          a,
        ) => [a.taskId, a.attempt, a.status, seconds(a.durationSeconds), a.error?.slice(0, 120)]),
      )
    }`);
  }
  const defaults = resolveParams(recommendDag.params);
  const set = Object.entries(r.params).filter(([k, v]) =>
    JSON.stringify(v) !== JSON.stringify(defaults[k])
  );
  const shown = set.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  console.log(`\nparameters: ${shown.length ? shown.join(" ") : "the defaults"}`);
}

async function logs(
  client: PipelineClient,
  id: string,
  task: string,
  attempt?: number,
): Promise<void> {
  const run = await client.getRun(id);
  if (!run.tasks.some((t) => t.taskId === task)) {
    throw invalid(
      `run ${id} has no task "${task}"; tasks are ${run.tasks.map((t) => t.taskId).join(", ")}`,
    );
  }
  const lines = await client.readLogs(id, { taskId: task, attempt });
  if (lines.length === 0) return console.log(`no log lines for task ${task} of run ${id}`);
  for (const l of lines) {
    const fields = Object.keys(l.fields).length ? ` ${JSON.stringify(l.fields)}` : "";
    console.log(
      `${l.at.toISOString()} [attempt ${l.attempt}] ${
        l.level.toUpperCase().padEnd(5)
      } ${l.message}${fields}`,
    );
  }
}

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    param: { type: "string", multiple: true },
    from: { type: "string" },
    run: { type: "string" },
    "logical-date": { type: "string" },
    status: { type: "string" },
    limit: { type: "string" },
    attempt: { type: "string" },
    json: { type: "boolean" },
  });
  const [command, ...args] = positionals;
  const expect = (n: number, usage: string) => {
    if (args.length !== n) throw new UsageError(`pipeline ${command} takes ${usage}`);
  };
  const dag = RECOMMEND_DAG;
  const json = !!values.json;
  let action: (c: PipelineClient) => Promise<void>;
  switch (command) {
    case "run": {
      expect(0, "no argument (parameters go in --param NAME=VALUE)");
      let params: Record<string, string>;
      try {
        params = parseAssignments(values.param ?? []);
        resolveParams(recommendDag.params, params);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (values.run && !values.from) throw new UsageError("--run goes with --from TASK");
      if (values.from && !recommendDag.tasks.some((t) => t.id === values.from)) {
        throw new UsageError(
          `--from must name a task of ${dag}: ${
            recommendDag.tasks.map((t) => t.id).join(", ")
          }; got "${values.from}"`,
        );
      }
      const logicalDate = dateFlag("logical-date", values["logical-date"]);
      const quiet = json || config.ci;
      action = (c) =>
        run(c, { dag, params, from: values.from, run: values.run, logicalDate, json, quiet });
      break;
    }
    case "list": {
      expect(0, "no argument");
      const status = values.status as PipelineRunStatus | undefined;
      if (status !== undefined && !RUN_STATUSES.includes(status)) {
        throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}, got "${status}"`);
      }
      const limit = intFlag("limit", values.limit, 20);
      action = (c) => list(c, { dag, status, limit: Math.min(limit, 200), json });
      break;
    }
    case "show":
      expect(1, "a run id: pipeline show RUN");
      action = (c) => show(c, args[0], json);
      break;
    case "logs": {
      expect(2, "a run id and a task: pipeline logs RUN TASK");
      const attempt = values.attempt === undefined
        ? undefined
        : intFlag("attempt", values.attempt, 1);
      action = (c) => logs(c, args[0], args[1], attempt);
      break;
    }
    default:
      throw new UsageError(
        command === undefined
          ? "missing command: run, list, show or logs"
          : `unknown command "${command}"; commands are run, list, show and logs`,
      );
  }
  const client = await openPipelineClient(config);
  try {
    await action(client);
  } finally {
    await client.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
