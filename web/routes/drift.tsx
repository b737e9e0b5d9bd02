/** Admin · Drift: the newest data and recommendation drift reports, and each feature's PSI and overlap@10 over time. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import {
  driftHistory,
  type DriftReport,
  latestDriftReports,
} from "../../src/observability/drift/store.ts";
import type { AssetManifest } from "../assets.ts";
import type { Series } from "../components/curves.ts";
import { metric, when } from "../components/format.ts";
import { Island } from "../island.tsx";
import MetricChart from "../islands/MetricChart.tsx";
import { page } from "./page.ts";

/** What the drift page shows. */
export interface DriftData {
  latest: DriftReport[];
  /** PSI per feature over time (x in Unix seconds). */
  psi: Series[];
  overlap: Series[];
}

/** The loader: the newest reports and the last 200 as curves. */
export async function loadDrift(deps: Pick<AppDeps, "db">): Promise<DriftData> {
  const [latest, history] = await Promise.all([
    latestDriftReports(deps.db),
    driftHistory(deps.db, { limit: 200 }),
  ]);
  const at = (r: DriftReport) => r.checkedAt.getTime() / 1000;
  const features = [...new Set(history.flatMap((r) => Object.keys(r.scores)))].sort();
  const psi = features.map((f) => ({
    label: f,
    points: history.filter((r) => f in r.scores).map((r) =>
      [at(r), r.scores[f]] as [number, number]
    ),
  }));
  const withOverlap = history.filter((r) => r.overlapAt10 !== null);
  const overlap = withOverlap.length
    ? [{
      label: "overlap@10",
      points: withOverlap.map((r) => [at(r), r.overlapAt10!] as [number, number]),
    }]
    : [];
  return { latest, psi, overlap };
}

function retrain(r: DriftReport): string {
  if (r.retrainError) return `could not start: ${r.retrainError}`;
  if (r.retrainRequestedAt) {
    return `started ${when(r.retrainRequestedAt)}${
      r.retrainRunId ? ` (run ${r.retrainRunId})` : ""
    }`;
  }
  return "—";
}

/** The page. */
export function DriftPage({ data }: { data: DriftData }) {
  return (
    <>
      <h1>Drift</h1>
      <p>
        Population stability index (PSI) of recent interactions against the production model's
        training snapshot (genre mix, movie popularity buckets, user activity), and of each new
        batch of recommendations against the previous one (recommended genres, overlap@10). A
        feature above the threshold raises the drift alert.
      </p>
      {data.latest.length === 0
        ? <p>No drift report yet: the check runs at each publish and on the pipeline's schedule.</p>
        : (
          <div class="table-wrap">
            <table>
              <caption>Newest reports</caption>
              <thead>
                <tr>
                  {[
                    "Kind",
                    "Checked",
                    "Reference",
                    "Compared",
                    "PSI per feature",
                    "Overlap@10",
                    "Retraining",
                  ]
                    .map((h) => <th key={h} scope="col">{h}</th>)}
                </tr>
              </thead>
              <tbody>
                {data.latest.map((r) => (
                  <tr key={r.id}>
                    <td>{r.kind}</td>
                    <td>{when(r.checkedAt)}</td>
                    <td class="mono">{r.reference}</td>
                    <td>{r.subject}</td>
                    <td>
                      <ul class="scores">
                        {Object.entries(r.scores).map(([f, v]) => (
                          <li key={f}>
                            {f} <strong>{metric(v)}</strong> {v > r.threshold
                              ? <span class="badge status-failed">above {r.threshold}</span>
                              : null}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td class="num">{metric(r.overlapAt10)}</td>
                    <td>{retrain(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      <div class="charts">
        <Island
          name="MetricChart"
          component={MetricChart}
          props={{
            title: "PSI per feature",
            xLabel: "checked",
            yLabel: "PSI",
            series: data.psi,
            time: true,
          }}
        />
        <Island
          name="MetricChart"
          component={MetricChart}
          props={{
            title: "Recommendation overlap@10 with the previous batch",
            xLabel: "checked",
            yLabel: "overlap@10",
            series: data.overlap,
            time: true,
          }}
        />
      </div>
    </>
  );
}

/** GET /admin/drift. */
export function driftRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/drift", async (c) => {
    const data = await loadDrift(deps);
    return page(c, <DriftPage data={data} />, {
      title: "Drift",
      section: "drift",
      manifest: manifest(),
    });
  });
}
