/** The registry's offline figures per version: the tie-aware test NDCG@10 and the beyond-accuracy metrics of every user's top-10. */
import type { ModelVersion } from "../../src/registry/store.ts";
import { metric } from "./format.ts";

/**
 * The beyond-accuracy test figures of every user's top-10, as header and run metric
 * (src/model/evaluation/report.ts): the registry's table and the family comparison show them.
 */
export const BEYOND_FIGURES: [string, string][] = [
  ["Gini@10", "test_gini10"],
  ["pop. percentile", "test_pop_percentile"],
  ["novelty (bits)", "test_novelty"],
  ["diversity@10", "test_diversity10"],
];

/** The columns: header and the run metric each shows. */
export const VERSION_FIGURES: [string, string][] = [
  ["test NDCG@10, strictly later", "strict_test_ndcg10"],
  ["val coverage@10", "val_coverage10"],
  ["test coverage@10", "test_coverage10"],
  ...BEYOND_FIGURES,
];

/** The table: one row per version, "—" where its run did not measure a figure. */
export function VersionFigures({ versions }: { versions: ModelVersion[] }) {
  return (
    <div class="table-wrap">
      <table class="version-figures">
        <caption>
          Beyond accuracy, per version: test figures over every user's top-10 ("strictly later" =
          users whose test movie is later than their validation movie; validation coverage is what
          the gate's coverage guard compares)
        </caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Family</th>
            {VERSION_FIGURES.map(([h]) => <th key={h} scope="col">{h}</th>)}
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <th scope="row">{v.version}</th>
              <td>{v.family ?? "—"}</td>
              {VERSION_FIGURES.map(([h, k]) => (
                <td key={h} class="num" data-metric={k}>{metric(v.metrics[k])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
