/** Metric curves as charts take them: named series of (step, value) points, aligned on the union of their steps. */

/** One line of a chart. */
export interface Series {
  label: string;
  points: [step: number, value: number][];
}

/**
 * uPlot's column layout: the sorted union of steps, then one column per series with null where a
 * series has no point (a member that stopped early).
 */
export function alignSeries(series: readonly Series[]): (number | null)[][] {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) =>
    a - b
  );
  const index = new Map(steps.map((s, i) => [s, i]));
  const columns = series.map((s) => {
    const col: (number | null)[] = steps.map(() => null);
    for (const [step, value] of s.points) col[index.get(step)!] = value;
    return col;
  });
  return [steps, ...columns];
}
