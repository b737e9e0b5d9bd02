/** Admin · Runs: tracked runs with status, duration, key params and final metrics, a family comparison's children under it; tick two or more to compare them. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import type { Run } from "../../src/tracking/store.ts";
import type { AssetManifest } from "../assets.ts";
import { duration, metric, runLabel, when } from "../components/format.ts";
import { page } from "./page.ts";

/** The params a row shows (the run page shows them all). */
export const KEY_PARAMS = [
  "family",
  "lambda",
  "k",
  "families",
  "members",
  "epochs",
  "dim",
  "hidden",
  "lr",
  "batch_size",
  "seed",
];
/** The final metrics a row shows (the tie-aware test NDCG@10 too; the registry page has the rest). */
export const KEY_METRICS = [
  "val_ndcg10",
  "test_ndcg10",
  "strict_test_ndcg10",
  "test_hr10",
  "test_coverage10",
  "train_seconds",
];

/** A page of top-level runs, and the children of those that have nested runs. */
export interface RunsData {
  items: Run[];
  children: Record<string, Run[]>;
  nextPageToken?: string;
}

/** The loader: one page of top-level runs (GET /runs), then each family comparison's children. */
export async function loadRuns(deps: AppDeps, pageToken?: string): Promise<RunsData> {
  const page = await deps.tracking.searchRuns({
    limit: 50,
    pageToken,
    filter: { parentRunId: null },
  });
  const children: Record<string, Run[]> = {};
  for (const run of page.items.filter((r) => r.tags.kind === "family-comparison")) {
    children[run.id] = (await deps.tracking.searchRuns({
      filter: { parentRunId: run.id },
      orderBy: { field: "start_time", direction: "asc" },
      limit: 100,
    })).items;
  }
  return { ...page, children };
}

function RunRow({ run, child, best }: { run: Run; child?: boolean; best?: boolean }) {
  const params = KEY_PARAMS.filter((k) => k in run.params).map((k) => `${k}=${run.params[k]}`);
  return (
    <tr class={child ? "child-run" : undefined}>
      <td>
        <input type="checkbox" name="run" value={run.id} aria-label={`Compare ${runLabel(run)}`} />
      </td>
      <td>
        {child ? <span aria-hidden="true">↳</span> : null}
        <a href={`/admin/runs/${encodeURIComponent(run.id)}`}>{runLabel(run)}</a>
        {best ? <span class="badge best">best</span> : null}
        {run.tags.skipped === "true" ? <span class="badge skipped">skipped</span> : null}
        <div class="muted mono">{run.id.slice(0, 8)}</div>
      </td>
      <td>
        <span class={`badge status-${run.status}`}>{run.status}</span>
      </td>
      <td>{when(run.startTime)}</td>
      <td class="num">{duration(run.startTime, run.endTime)}</td>
      <td class="params">{params.join(" ") || "—"}</td>
      {KEY_METRICS.map((k) => <td key={k} class="num">{metric(run.metrics[k])}</td>)}
      <td class="num">{run.tags.model_version ?? "—"}</td>
    </tr>
  );
}

/** The page. */
export function RunsPage(
  { runs, nested = {}, next }: { runs: Run[]; nested?: Record<string, Run[]>; next?: string },
) {
  return (
    <>
      <h1>Runs</h1>
      {runs.length === 0
        ? (
          <p>
            No runs are tracked yet: <code>deno task train</code> starts one.
          </p>
        )
        : (
          <form method="get" action="/admin/compare">
            <div class="table-wrap">
              <table>
                <caption>
                  Tracked training runs, newest first; a family comparison lists its children (one
                  per family) under it
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Compare</th>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Started</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Params</th>
                    {KEY_METRICS.map((k) => <th key={k} scope="col">{k}</th>)}
                    <th scope="col">Version</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.flatMap((r) => [
                    <RunRow key={r.id} run={r} />,
                    ...(nested[r.id] ?? []).map((c) => (
                      <RunRow key={c.id} run={c} child best={r.tags.best_run === c.id} />
                    )),
                  ])}
                </tbody>
              </table>
            </div>
            <button type="submit">Compare the ticked runs</button>
          </form>
        )}
      {next
        ? (
          <p>
            <a href={`/admin/runs?page=${encodeURIComponent(next)}`}>Older runs</a>
          </p>
        )
        : null}
    </>
  );
}

/** GET /admin/runs. */
export function runsRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/runs", async (c) => {
    const p = await loadRuns(deps, c.req.query("page") || undefined);
    return page(c, <RunsPage runs={p.items} nested={p.children} next={p.nextPageToken} />, {
      title: "Runs",
      section: "runs",
      manifest: manifest(),
    });
  });
}
