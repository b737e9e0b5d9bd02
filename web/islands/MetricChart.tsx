/** A line chart of metric curves (uPlot, loaded on demand), with the numbers in a table for keyboards and screen readers. */
import { useEffect, useRef } from "preact/hooks";
import { alignSeries, type Series } from "../components/curves.ts";
import { metric, when } from "../components/format.ts";

/** Plain-JSON props. */
export interface ChartProps extends Record<string, unknown> {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** x values are Unix seconds (a time axis; the table shows dates) instead of epochs. */
  time?: boolean;
}

// Distinguishable in light and dark themes (Okabe–Ito).
const PALETTE = [
  "#0072b2",
  "#d55e00",
  "#009e73",
  "#cc79a7",
  "#e69f00",
  "#56b4e9",
  "#999933",
  "#882255",
];

/** The chart island. */
export default function MetricChart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.series.length === 0) return;
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let observer: ResizeObserver | undefined;
    let cancelled = false;
    import("uplot").then(({ default: uPlot }) => {
      if (cancelled) return;
      const fg = getComputedStyle(el).color;
      const axis = (label: string) => ({
        label,
        stroke: fg,
        grid: { stroke: "rgba(128,128,128,0.25)" },
      });
      plot = new uPlot(
        {
          width: el.clientWidth || 600,
          height: 260,
          scales: { x: { time: props.time ?? false } },
          series: [
            { label: props.xLabel },
            ...props.series.map((s, i) => ({
              label: s.label,
              stroke: PALETTE[i % PALETTE.length],
              width: 2,
              spanGaps: false,
            })),
          ],
          // Epochs are whole numbers: no ticks between them.
          axes: [
            props.time ? axis(props.xLabel) : {
              ...axis(props.xLabel),
              incrs: [1, 2, 5, 10, 20, 50, 100],
            },
            axis(props.yLabel),
          ],
        },
        alignSeries(props.series) as never,
        el,
      );
      observer = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height: 260 }));
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, []);
  const table = alignSeries(props.series);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      {props.series.length === 0
        ? <p>No values were logged.</p>
        : <div class="chart-box" ref={box} />}
      <details>
        <summary>The numbers</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{props.xLabel}</th>
                {props.series.map((s) => <th key={s.label} scope="col">{s.label}</th>)}
              </tr>
            </thead>
            <tbody>
              {table[0].map((step, row) => (
                <tr key={String(step)}>
                  <th scope="row">{props.time ? when(new Date(Number(step) * 1000)) : step}</th>
                  {table.slice(1).map((col, i) => <td key={i} class="num">{metric(col[row])}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
