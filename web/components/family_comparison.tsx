/** A family comparison's children side by side: accuracy, beyond-accuracy figures and the tie-aware line. */
import type { Run } from "../../src/tracking/store.ts";
import { metric, runLabel } from "./format.ts";
import { BEYOND_FIGURES } from "./version_figures.tsx";

/** The columns: header and the metric each shows. */
const COLUMNS: [string, string][] = [
  ["val NDCG@10", "val_ndcg10"],
  ["test NDCG@10", "test_ndcg10"],
  ["test HR@10", "test_hr10"],
  ["test NDCG@10, strictly later", "strict_test_ndcg10"],
  ["coverage@10", "test_coverage10"],
  ...BEYOND_FIGURES,
  ["training s", "train_seconds"],
];

/** The hyperparameter a family's grid chose, in words. */
function chosen(run: Run): string {
  if (run.params.lambda) return `λ = ${run.params.lambda}`;
  if (run.params.k) return `k = ${run.params.k}`;
  return ["dim", "lr", "members"].filter((k) => k in run.params).map((k) => `${k} ${run.params[k]}`)
    .join(", ") || "—";
}

/** The table; `best` is the child registered as the candidate. */
export function FamilyComparison({ runs, best }: { runs: Run[]; best?: string }) {
  return (
    <div class="table-wrap">
      <table>
        <caption>
          Family comparison: one child run per family (test figures over every user's top-10;
          "strictly later" = users whose test movie is later than their validation movie)
        </caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Family</th>
            <th scope="col">Chosen</th>
            {COLUMNS.map(([h]) => <th key={h} scope="col">{h}</th>)}
          </tr>
        </thead>
        <tbody>
          {runs.map((c) => (
            <tr key={c.id}>
              <td>
                <a href={`/admin/runs/${encodeURIComponent(c.id)}`}>{runLabel(c)}</a>
                {c.id === best ? <span class="badge best">best</span> : null}
              </td>
              <td>{c.tags.family ?? c.params.family ?? "—"}</td>
              <td>
                {c.tags.skipped === "true"
                  ? <span class="badge skipped">skipped: {c.tags.skip_reason}</span>
                  : c.status === "failed"
                  ? <span class="badge status-failed">failed: {c.statusReason}</span>
                  : chosen(c)}
              </td>
              {COLUMNS.map(([h, k]) => <td key={h} class="num">{metric(c.metrics[k])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
