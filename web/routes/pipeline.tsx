/** Admin · Pipeline: recent runs × tasks as a grid coloured by state (like Airflow's grid view), and a trigger button. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import type { DagInfo, PipelineService } from "../../src/pipeline/service.ts";
import type { PipelineRun } from "../../src/pipeline/store.ts";
import type { AssetManifest } from "../assets.ts";
import { duration, when } from "../components/format.ts";
import { Notice } from "../components/notice.tsx";
import { STATE_LABEL, stateClass, StateLegend } from "../components/pipeline_state.tsx";
import { Island } from "../island.tsx";
import TokenBox from "../islands/TokenBox.tsx";
import TriggerButton from "../islands/TriggerButton.tsx";
import { page } from "./page.ts";

/** Runs in the grid. */
export const GRID_RUNS = 25;

/** What the pipeline page shows. */
export interface PipelineData {
  dag: DagInfo;
  /** Newest first. */
  runs: PipelineRun[];
}

/** The pipeline engine of this server, or a page saying there is none. */
export function pipelineOf(deps: AppDeps): PipelineService | null {
  return deps.pipeline ?? null;
}

/** The loader: the DAG and its latest runs, as GET /pipeline/dags and /pipeline/runs answer. */
export async function loadPipeline(pipeline: PipelineService): Promise<PipelineData> {
  const [dag] = pipeline.dags();
  const { items } = await pipeline.listRuns({ dag: dag.id, limit: GRID_RUNS });
  return { dag, runs: items };
}

const runHref = (id: string) => `/admin/pipeline/runs/${encodeURIComponent(id)}`;

function Cell({ run, task }: { run: PipelineRun; task: string }) {
  const t = run.tasks.find((x) => x.taskId === task);
  const state = t?.status ?? "pending";
  const took = t?.startedAt && t.endedAt ? `, ${duration(t.startedAt, t.endedAt)}` : "";
  const title = `${task} in ${run.id}: ${STATE_LABEL[state]}${
    t?.tries ? `, ${t.tries} tr${t.tries === 1 ? "y" : "ies"}` : ""
  }${took}`;
  return (
    <td class="grid-cell">
      <a
        href={`${runHref(run.id)}#task-${task}`}
        class={`cell ${stateClass(state)}`}
        title={title}
        data-state={state}
      >
        <span class="visually-hidden">{title}</span>
      </a>
    </td>
  );
}

/** The page. */
export function PipelinePage({ data }: { data: PipelineData }) {
  // Oldest on the left, newest on the right, as in Airflow.
  const runs = [...data.runs].reverse();
  return (
    <>
      <h1>Pipeline</h1>
      <p>
        <strong>{data.dag.id}</strong>: {data.dag.description}. It runs on its schedule, from{" "}
        <code>deno task pipeline run</code>, or from the button below.
      </p>
      <Island name="TokenBox" component={TokenBox} props={{}} />
      <p>
        <Island
          name="TriggerButton"
          component={TriggerButton}
          props={{ dag: data.dag.id, from: null }}
        />
      </p>
      {runs.length === 0 ? <p>No run yet.</p> : (
        <>
          <div class="table-wrap">
            <table class="pipeline-grid">
              <caption>
                The last {runs.length} runs (oldest on the left) × tasks in dependency order
              </caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  {runs.map((r) => (
                    <th key={r.id} scope="col" class="grid-run">
                      <a
                        href={runHref(r.id)}
                        class={`runbar ${stateClass(r.status)}`}
                        title={`${r.id}: ${r.status} (${r.trigger}, ${when(r.logicalDate)})`}
                        data-run={r.id}
                      >
                        <span class="visually-hidden">{`${r.id}: ${r.status}`}</span>
                      </a>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.dag.tasks.map((t) => (
                  <tr key={t.id} data-task={t.id}>
                    <th scope="row" title={t.description}>{t.id}</th>
                    {runs.map((r) => <Cell key={r.id} run={r} task={t.id} />)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <StateLegend />
          <h2>Runs</h2>
          <div class="table-wrap">
            <table>
              <caption>Newest first</caption>
              <thead>
                <tr>
                  {["Run", "Status", "Trigger", "Logical date", "Started", "Duration"].map((h) => (
                    <th key={h} scope="col">{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.runs.map((r) => (
                  <tr key={r.id}>
                    <td class="mono">
                      <a href={runHref(r.id)}>{r.id}</a>
                    </td>
                    <td>
                      <span class={`badge ${stateClass(r.status)}`}>{r.status}</span>
                    </td>
                    <td>{r.trigger}</td>
                    <td>{when(r.logicalDate)}</td>
                    <td>{when(r.startedAt)}</td>
                    <td class="num">{r.startedAt ? duration(r.startedAt, r.endedAt) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}

/** The page when this server has no pipeline engine. */
export function NoPipeline() {
  return <Notice heading="Pipeline" message="This server runs no pipeline engine." />;
}

/** GET /admin/pipeline. */
export function pipelineRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/pipeline", async (c) => {
    const pipeline = pipelineOf(deps);
    const body = pipeline ? <PipelinePage data={await loadPipeline(pipeline)} /> : <NoPipeline />;
    return page(c, body, { title: "Pipeline", section: "pipeline", manifest: manifest() });
  });
}
