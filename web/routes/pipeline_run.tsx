/** Admin · Pipeline run: the DAG drawn with each task's state, durations as a Gantt-like chart, attempts with their logs, re-run. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import type { DagInfo, PipelineService } from "../../src/pipeline/service.ts";
import type { Attempt, LogLine, PipelineRun } from "../../src/pipeline/store.ts";
import type { AssetManifest } from "../assets.ts";
import { DagGraph } from "../components/dag_graph.tsx";
import { duration, when } from "../components/format.ts";
import { Gantt, type GanttBar } from "../components/gantt.tsx";
import { STATE_LABEL, stateClass, StateLegend } from "../components/pipeline_state.tsx";
import { Island } from "../island.tsx";
import RunWatcher, { signatureOf } from "../islands/RunWatcher.tsx";
import TokenBox from "../islands/TokenBox.tsx";
import TriggerButton from "../islands/TriggerButton.tsx";
import { page } from "./page.ts";
import { NoPipeline, pipelineOf } from "./pipeline.tsx";
import { KeyValues } from "./run.tsx";

/** What the run page shows. */
export interface PipelineRunData {
  run: PipelineRun;
  dag: DagInfo;
  attempts: Attempt[];
  logs: LogLine[];
  /** The time the page was drawn (the end of a running attempt's bar). */
  now: Date;
}

/** The loader: GET /pipeline/runs/{id}'s answer (NOT_FOUND when unknown) and the run's DAG. */
export async function loadPipelineRun(
  pipeline: PipelineService,
  id: string,
  now: Date,
): Promise<PipelineRunData> {
  const run = await pipeline.getRun(id);
  const [attempts, logs] = await Promise.all([pipeline.listAttempts(id), pipeline.readLogs(id)]);
  const dag = pipeline.dags().find((d) => d.id === run.dag) ??
    {
      id: run.dag,
      description: "",
      params: [],
      tasks: run.tasks.map((t) => ({
        id: t.taskId,
        description: "",
        upstream: [],
        retries: 0,
        timeoutSeconds: 0,
      })),
    };
  return { run, dag, attempts, logs, now };
}

const active = (r: PipelineRun) => r.status === "queued" || r.status === "running";

function value(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function AttemptRow({ a, logs }: { a: Attempt; logs: LogLine[] }) {
  return (
    <li class="attempt" data-attempt={`${a.taskId}/${a.attempt}`}>
      <span class={`badge ${stateClass(a.status)}`}>{a.status}</span> attempt {a.attempt}, started
      {" "}
      {when(a.startedAt)}
      {a.durationSeconds !== null ? `, ${a.durationSeconds.toFixed(1)} s` : ""}
      {a.error
        ? <p class="error">{a.error}{a.permanent ? " (permanent: not retried)" : ""}</p>
        : null}
      <details open={a.status !== "success"}>
        <summary>{logs.length} log line{logs.length === 1 ? "" : "s"}</summary>
        {logs.length
          ? (
            <ol class="log">
              {logs.map((l) => (
                <li key={l.seq} class={`log-${l.level}`}>
                  <time>{l.at.toISOString().slice(11, 19)}</time> {l.message}
                  {Object.keys(l.fields).length
                    ? <span class="muted">{JSON.stringify(l.fields)}</span>
                    : null}
                </li>
              ))}
            </ol>
          )
          : null}
      </details>
    </li>
  );
}

/** The train task's family comparison: a link to its parent run, whose page compares the children. */
function ComparisonLink({ result }: { result: unknown }) {
  const r = result as { comparisonRunId?: unknown; family?: unknown } | null;
  if (typeof r?.comparisonRunId !== "string") return null;
  return (
    <p class="comparison">
      <a href={`/admin/runs/${encodeURIComponent(r.comparisonRunId)}`}>Family comparison</a> (run
      {" "}
      {r.comparisonRunId}){typeof r.family === "string" ? `: the candidate is ${r.family}` : ""}
    </p>
  );
}

/** The page. */
export function PipelineRunPage({ data }: { data: PipelineRunData }) {
  const { run, dag } = data;
  const states = Object.fromEntries(run.tasks.map((t) => [t.taskId, t.status]));
  const labels = Object.fromEntries(run.tasks.map((t) => [
    t.taskId,
    t.status === "reused"
      ? "reused"
      : t.startedAt && t.endedAt
      ? duration(t.startedAt, t.endedAt)
      : STATE_LABEL[t.status],
  ]));
  const bars: GanttBar[] = data.attempts.map((a) => ({
    task: a.taskId,
    attempt: a.attempt,
    status: a.status,
    start: a.startedAt,
    end: a.endedAt ?? data.now,
  }));
  const start = run.startedAt ?? run.createdAt;
  const end = run.endedAt ?? data.now;
  const defaults = new Map(dag.params.map((p) => [p.name, value(p.default)]));
  const shown = Object.entries(run.params).map(([k, v]) => [k, value(v)] as const);
  const changed = Object.fromEntries(shown.filter(([k, v]) => defaults.get(k) !== v));
  return (
    <>
      <p>
        <a href="/admin/pipeline">← Pipeline</a>
      </p>
      <h1>Run {run.id}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`badge ${stateClass(run.status)}`} data-status={run.status}>
            {run.status}
          </span>{" "}
          {run.statusReason ?? ""}
        </dd>
        <dt>DAG</dt>
        <dd>{run.dag}</dd>
        <dt>Trigger</dt>
        <dd>{run.trigger}</dd>
        <dt>Logical date</dt>
        <dd>{when(run.logicalDate)}</dd>
        <dt>Started</dt>
        <dd>{when(run.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{run.startedAt ? duration(run.startedAt, run.endedAt) : "—"}</dd>
        <dt>Executed by</dt>
        <dd class="mono">{run.host || "?"} (pid {run.pid ?? "?"})</dd>
        {run.fromRunId
          ? (
            <>
              <dt>Re-run of</dt>
              <dd>
                <a href={`/admin/pipeline/runs/${encodeURIComponent(run.fromRunId)}`}>
                  {run.fromRunId}
                </a>{" "}
                from {run.fromTask}
              </dd>
            </>
          )
          : null}
      </dl>
      {active(run)
        ? (
          <Island
            name="RunWatcher"
            component={RunWatcher}
            props={{ runId: run.id, signature: signatureOf(run) }}
          />
        )
        : (
          <>
            <Island name="TokenBox" component={TokenBox} props={{}} />
            <p>
              <Island
                name="TriggerButton"
                component={TriggerButton}
                props={{
                  dag: run.dag,
                  from: {
                    runId: run.id,
                    tasks: dag.tasks.map((t) => t.id),
                    selected: run.tasks.find((t) => t.status === "failed")?.taskId ??
                      dag.tasks[0].id,
                  },
                }}
              />
            </p>
          </>
        )}
      <h2>Tasks</h2>
      <div class="dag-wrap">
        <DagGraph tasks={dag.tasks} states={states} labels={labels} />
      </div>
      <StateLegend />
      <h2>Durations</h2>
      {bars.length
        ? <Gantt tasks={dag.tasks.map((t) => t.id)} bars={bars} from={start} to={end} />
        : <p>No attempt yet.</p>}
      <h2>Attempts and logs</h2>
      {run.tasks.map((t) => {
        const mine = data.attempts.filter((a) => a.taskId === t.taskId);
        const info = dag.tasks.find((d) => d.id === t.taskId);
        return (
          <section key={t.taskId} id={`task-${t.taskId}`} class="task-attempts">
            <h3>
              {t.taskId}{" "}
              <span class={`badge ${stateClass(t.status)}`}>{STATE_LABEL[t.status]}</span>
            </h3>
            {info?.description ? <p class="muted">{info.description}</p> : null}
            {t.result !== null
              ? <p class="mono result">result: {JSON.stringify(t.result)}</p>
              : null}
            <ComparisonLink result={t.result} />
            {mine.length
              ? (
                <ol class="attempts">
                  {mine.map((a) => (
                    <AttemptRow
                      key={a.attempt}
                      a={a}
                      logs={data.logs.filter((l) =>
                        l.taskId === a.taskId && l.attempt === a.attempt
                      )}
                    />
                  ))}
                </ol>
              )
              : null}
          </section>
        );
      })}
      <h2>Parameters</h2>
      <KeyValues caption="Parameters set for this run" values={changed} />
      <details>
        <summary>All {shown.length} parameters (the others take their defaults)</summary>
        <KeyValues caption="Every parameter of the run" values={Object.fromEntries(shown)} />
      </details>
    </>
  );
}

/** GET /admin/pipeline/runs/:id. */
export function pipelineRunRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/pipeline/runs/:id", async (c) => {
    const pipeline = pipelineOf(deps);
    const body = pipeline
      ? <PipelineRunPage data={await loadPipelineRun(pipeline, c.req.param("id"), deps.clock())} />
      : <NoPipeline />;
    return page(c, body, {
      title: `Pipeline run ${c.req.param("id")}`,
      section: "pipeline",
      manifest: manifest(),
    });
  });
}
