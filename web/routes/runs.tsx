/** Admin · Runs: tracked runs with status, duration, key params and final metrics; tick two or more to compare them. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import type { Run } from "../../src/tracking/store.ts";
import type { AssetManifest } from "../assets.ts";
import { duration, metric, runLabel, when } from "../components/format.ts";
import { page } from "./page.ts";

/** The params a row shows (the run page shows them all). */
export const KEY_PARAMS = ["members", "epochs", "dim", "hidden", "lr", "batch_size", "seed"];
/** The final metrics a row shows. */
export const KEY_METRICS = ["val_ndcg10", "test_ndcg10", "test_hr10", "train_seconds"];

/** The loader: one page of GET /runs. */
export async function loadRuns(deps: AppDeps, pageToken?: string) {
  return await deps.tracking.searchRuns({ limit: 50, pageToken });
}

function RunRow({ run }: { run: Run }) {
  const params = KEY_PARAMS.filter((k) => k in run.params).map((k) => `${k}=${run.params[k]}`);
  return (
    <tr>
      <td>
        <input type="checkbox" name="run" value={run.id} aria-label={`Compare ${runLabel(run)}`} />
      </td>
      <td>
        <a href={`/admin/runs/${encodeURIComponent(run.id)}`}>{runLabel(run)}</a>
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
export function RunsPage({ runs, next }: { runs: Run[]; next?: string }) {
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
                <caption>Tracked training runs, newest first</caption>
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
                <tbody>{runs.map((r) => <RunRow key={r.id} run={r} />)}</tbody>
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
    return page(c, <RunsPage runs={p.items} next={p.nextPageToken} />, {
      title: "Runs",
      section: "runs",
      manifest: manifest(),
    });
  });
}
