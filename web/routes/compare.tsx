/** Admin · Compare: two or more runs side by side (params, final metrics) and their curves on one chart, as MLflow's compare view. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import { invalid } from "../../src/errors.ts";
import type { Run } from "../../src/tracking/store.ts";
import type { AssetManifest } from "../assets.ts";
import type { Series } from "../components/curves.ts";
import { metric, runLabel } from "../components/format.ts";
import { Island } from "../island.tsx";
import MetricChart from "../islands/MetricChart.tsx";
import { page } from "./page.ts";
import { memberCurves } from "./run_curves.ts";

/** What the compare page shows. */
export interface CompareData {
  runs: Run[];
  ndcg: Series[];
  loss: Series[];
}

/** The loader: every run named (2..10 distinct ids) and all their members' curves. */
export async function loadCompare(deps: AppDeps, ids: string[]): Promise<CompareData> {
  const unique = [...new Set(ids.filter(Boolean))];
  if (unique.length < 2 || unique.length > 10) {
    throw invalid(`run: tick 2 to 10 runs to compare, got ${unique.length}`);
  }
  const runs = await Promise.all(unique.map((id) => deps.tracking.getRun(id)));
  const curves = (name: string) =>
    Promise.all(
      runs.map((r) =>
        memberCurves(deps.tracking, r, { name, label: (m) => `${runLabel(r)} · member ${m}` })
      ),
    );
  const [ndcg, loss] = await Promise.all([curves("val_ndcg10"), curves("train_loss")]);
  return { runs, ndcg: ndcg.flat(), loss: loss.flat() };
}

function SideBySide(
  { caption, runs, keys, value, numeric }: {
    caption: string;
    runs: Run[];
    keys: string[];
    value: (r: Run, k: string) => string;
    numeric: boolean;
  },
) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">key</th>
            {runs.map((r) => <th key={r.id} scope="col">{runLabel(r)}</th>)}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const values = runs.map((r) => value(r, k));
            return (
              <tr key={k} class={new Set(values).size > 1 ? "differs" : undefined}>
                <th scope="row">{k}</th>
                {values.map((v, i) => (
                  <td key={i} class={numeric ? "num mono" : "mono wrap"}>{v}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The page. */
export function ComparePage({ data }: { data: CompareData }) {
  const keys = (pick: (r: Run) => object) =>
    [...new Set(data.runs.flatMap((r) => Object.keys(pick(r))))].sort();
  const finals = keys((r) => r.metrics).filter((k) =>
    !/^member\d+_/.test(k) || k.endsWith("best_epoch")
  );
  return (
    <>
      <p>
        <a href="/admin/runs">← Runs</a>
      </p>
      <h1>Comparing {data.runs.length} runs</h1>
      <p class="lead">Rows whose values differ are marked.</p>
      <div class="charts">
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
      </div>
      <SideBySide
        caption="Final metrics"
        runs={data.runs}
        keys={finals}
        value={(r, k) => metric(r.metrics[k])}
        numeric
      />
      <SideBySide
        caption="Params"
        runs={data.runs}
        keys={keys((r) => r.params)}
        value={(r, k) => r.params[k] ?? "—"}
        numeric={false}
      />
    </>
  );
}

/** GET /admin/compare?run=ID&run=ID… */
export function compareRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/compare", async (c) => {
    const data = await loadCompare(deps, c.req.queries("run") ?? []);
    return page(c, <ComparePage data={data} />, {
      title: "Compare runs",
      section: "runs",
      manifest: manifest(),
    });
  });
}
