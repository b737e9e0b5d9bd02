/** Admin · Run: status, lineage, params, final metrics, and per-epoch loss and validation NDCG@10 charts per member. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import type { Run } from "../../src/tracking/store.ts";
import type { AssetManifest } from "../assets.ts";
import type { Series } from "../components/curves.ts";
import { FamilyComparison } from "../components/family_comparison.tsx";
import { duration, metric, when } from "../components/format.ts";
import { Island } from "../island.tsx";
import MetricChart from "../islands/MetricChart.tsx";
import { page } from "./page.ts";
import { memberCurves } from "./run_curves.ts";

/** What the run page shows. */
export interface RunData {
  run: Run;
  loss: Series[];
  ndcg: Series[];
  /** Nested runs (a family comparison's), oldest first. */
  children: Run[];
}

/** The loader: the run (NOT_FOUND when unknown), its members' curves and its nested runs. */
export async function loadRun(deps: AppDeps, id: string): Promise<RunData> {
  const run = await deps.tracking.getRun(id);
  const [loss, ndcg, children] = await Promise.all([
    memberCurves(deps.tracking, run, { name: "train_loss" }),
    memberCurves(deps.tracking, run, { name: "val_ndcg10" }),
    deps.tracking.searchRuns({
      filter: { parentRunId: run.id },
      orderBy: { field: "start_time", direction: "asc" },
      limit: 100,
    }),
  ]);
  return { run, loss, ndcg, children: children.items };
}

/** A two-column table of a record. */
export function KeyValues(
  { caption, values }: { caption: string; values: Record<string, string> },
) {
  const keys = Object.keys(values).sort();
  if (!keys.length) return <p>No {caption.toLowerCase()}.</p>;
  return (
    <div class="table-wrap">
      <table class="kv">
        <caption>{caption}</caption>
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td class="mono">{values[k]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The page. */
export function RunPage({ data }: { data: RunData }) {
  const r = data.run;
  // Per-epoch values are in the charts; the table keeps the run's final numbers.
  const finals = Object.fromEntries(
    Object.entries(r.metrics).filter(([k]) =>
      !/^member\d+_(train_loss|val_ndcg10|val_hr10|epoch_seconds)$/.test(k)
    )
      .map(([k, v]) => [k, metric(v)]),
  );
  return (
    <>
      <p>
        <a href="/admin/runs">← Runs</a>
      </p>
      <h1>Run {r.name || r.id.slice(0, 8)}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`badge status-${r.status}`}>{r.status}</span> {r.statusReason ?? ""}
        </dd>
        <dt>Id</dt>
        <dd class="mono">{r.id}</dd>
        <dt>Experiment</dt>
        <dd>{r.experimentName}</dd>
        <dt>Started</dt>
        <dd>{when(r.startTime)}</dd>
        <dt>Duration</dt>
        <dd>{duration(r.startTime, r.endTime)}</dd>
        <dt>Code version</dt>
        <dd class="mono">{r.codeVersion ?? "—"}</dd>
        <dt>Data snapshot</dt>
        <dd class="mono">{r.snapshotId ?? "—"}</dd>
        <dt>Model version</dt>
        <dd>{r.tags.model_version ? <a href="/admin/registry">{r.tags.model_version}</a> : "—"}</dd>
        {r.parentRunId
          ? (
            <>
              <dt>Part of</dt>
              <dd>
                <a href={`/admin/runs/${encodeURIComponent(r.parentRunId)}`}>
                  run {r.parentRunId.slice(0, 8)}
                </a>
              </dd>
            </>
          )
          : null}
      </dl>
      {data.children.length
        ? <FamilyComparison runs={data.children} best={r.tags.best_run} />
        : null}
      <div class="charts">
        <Island
          name="MetricChart"
          component={MetricChart}
          props={{
            title: "Training loss per epoch",
            xLabel: "epoch",
            yLabel: "loss",
            series: data.loss,
          }}
        />
        <Island
          name="MetricChart"
          component={MetricChart}
          props={{
            title: "Validation NDCG@10 per epoch",
            xLabel: "epoch",
            yLabel: "NDCG@10",
            series: data.ndcg,
          }}
        />
      </div>
      <div class="columns">
        <KeyValues caption="Final metrics" values={finals} />
        <KeyValues caption="Params" values={r.params} />
        <KeyValues caption="Tags" values={r.tags} />
      </div>
      <p>
        <a href="/admin/runs">Pick runs to compare this one with</a>
      </p>
    </>
  );
}

/** GET /admin/runs/:id. */
export function runRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/runs/:id", async (c) => {
    const data = await loadRun(deps, c.req.param("id"));
    return page(c, <RunPage data={data} />, {
      title: `Run ${data.run.name || data.run.id.slice(0, 8)}`,
      section: "runs",
      manifest: manifest(),
    });
  });
}
