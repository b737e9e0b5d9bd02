/** Online against offline per model version: a table of the online rates with 95 % intervals beside the offline NDCG@10, and a small SVG chart of both. */
import type { ArmMetrics } from "../../src/online/online_metrics.ts";
import type { Estimate } from "../../src/online/stats.ts";
import type { ModelVersion } from "../../src/registry/store.ts";
import { metric } from "./format.ts";

function interval(e: Estimate): string {
  if (e.value === null) return "—";
  return `${e.value.toFixed(3)} [${e.low!.toFixed(3)}–${e.high!.toFixed(3)}]`;
}

const W = 560, ROW = 22, LABEL = 150, MID = (W + LABEL) / 2;

/** Bars per (version, arm): watch rate with its interval on the left, validation NDCG@10 on the right. */
function Chart(
  { rows, offline }: { rows: ArmMetrics[]; offline: Map<number, number | undefined> },
) {
  const maxRate = Math.max(0.01, ...rows.map((r) => r.watchRate.high ?? 0));
  const maxNdcg = Math.max(0.01, ...rows.map((r) => offline.get(r.version!) ?? 0));
  const half = (W - LABEL) / 2 - 16;
  return (
    <svg
      class="online-chart"
      viewBox={`0 0 ${W} ${20 + rows.length * ROW}`}
      role="img"
      aria-label="Online watch rate and offline validation NDCG@10 per version and arm"
    >
      <text x={LABEL} y={12} class="axis">watch rate (online, 95 % interval)</text>
      <text x={MID + 8} y={12} class="axis">val NDCG@10 (offline)</text>
      {rows.map((r, i) => {
        const y = 20 + i * ROW;
        const rate = r.watchRate;
        const ndcg = offline.get(r.version!);
        return (
          <g key={`${r.version}-${r.arm}`} data-version={r.version} data-arm={r.arm}>
            <text x={0} y={y + 14}>v{r.version} {r.arm}</text>
            {rate.value === null ? null : (
              <>
                <rect
                  x={LABEL}
                  y={y + 4}
                  height={12}
                  width={(rate.value / maxRate) * half}
                  class={`bar arm-${r.arm}`}
                />
                <line
                  x1={LABEL + (rate.low! / maxRate) * half}
                  x2={LABEL + (rate.high! / maxRate) * half}
                  y1={y + 10}
                  y2={y + 10}
                  class="whisker"
                />
              </>
            )}
            {ndcg === undefined ? null : (
              <rect
                x={MID + 8}
                y={y + 4}
                height={12}
                width={(ndcg / maxNdcg) * half}
                class="bar offline"
              />
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** The table and the chart of model answers; browser impressions carry no outcomes (the history stays there). */
export function OnlineTable({ rows, versions }: { rows: ArmMetrics[]; versions: ModelVersion[] }) {
  const model = rows.filter((r) => r.strategy === "model" && r.version !== null);
  if (model.length === 0) return <p>No impressions of model answers in this window yet.</p>;
  const offline = new Map(versions.map((v) => [v.version, v.metrics.val_ndcg10]));
  const tests = new Map(versions.map((v) => [v.version, v.metrics.test_ndcg10]));
  return (
    <>
      <div class="table-wrap">
        <table class="online">
          <caption>
            Online (impressions of model answers) against offline, per version and arm
          </caption>
          <thead>
            <tr>
              {[
                "Version",
                "Arm",
                "Impressions",
                "CTR@10",
                "Watch rate",
                "1/position of watched",
                "val_ndcg10",
                "test_ndcg10",
              ]
                .map((h) => <th key={h} scope="col">{h}</th>)}
            </tr>
          </thead>
          <tbody>
            {model.map((r) => {
              const browser = r.arm === "browser";
              return (
                <tr key={`${r.version}-${r.arm}`} data-version={r.version} data-arm={r.arm}>
                  <th scope="row">{r.version}</th>
                  <td>{r.arm}</td>
                  <td class="num">{r.impressions}</td>
                  <td class="num">{browser ? "not reported" : interval(r.ctr)}</td>
                  <td class="num">{browser ? "not reported" : interval(r.watchRate)}</td>
                  <td class="num">{browser ? "—" : interval(r.reciprocalPosition)}</td>
                  <td class="num">{metric(offline.get(r.version!))}</td>
                  <td class="num">{metric(tests.get(r.version!))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Chart rows={model.filter((r) => r.arm !== "browser")} offline={offline} />
    </>
  );
}
