/** Durations as a Gantt-like chart in inline SVG: a row per task, a bar per attempt, on the run's time axis. */
import { stateClass } from "./pipeline_state.tsx";

const LABEL = 96, WIDTH = 900, ROW = 26, BAR = 16, AXIS = 22;

/** One attempt's bar. */
export interface GanttBar {
  task: string;
  attempt: number;
  status: string;
  start: Date;
  end: Date;
}

function secondsText(s: number): string {
  return s < 60 ? `${s.toFixed(s < 1 ? 2 : s < 10 ? 1 : 0)} s` : `${(s / 60).toFixed(1)} min`;
}

/** The chart: `tasks` give the rows, `from`–`to` the axis. */
export function Gantt(
  { tasks, bars, from, to }: {
    tasks: readonly string[];
    bars: readonly GanttBar[];
    from: Date;
    to: Date;
  },
) {
  const span = Math.max(1, to.getTime() - from.getTime());
  const x = (d: Date) => LABEL + ((d.getTime() - from.getTime()) / span) * (WIDTH - LABEL - 70);
  const height = AXIS + tasks.length * ROW;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <svg
      class="gantt"
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-label="Task durations on the run's time axis"
    >
      {ticks.map((t) => {
        const tx = LABEL + t * (WIDTH - LABEL - 70);
        return (
          <g key={t}>
            <line x1={tx} x2={tx} y1={AXIS - 4} y2={height} class="gantt-tick" />
            <text x={tx} y={12} class="gantt-axis">{secondsText((t * span) / 1000)}</text>
          </g>
        );
      })}
      {tasks.map((task, i) => {
        const y = AXIS + i * ROW;
        const mine = bars.filter((b) => b.task === task);
        const last = mine.at(-1);
        const total = mine.length ? (last!.end.getTime() - mine[0].start.getTime()) / 1000 : 0;
        return (
          <g key={task} data-task={task}>
            <text x={LABEL - 8} y={y + ROW / 2 + 4} class="gantt-label">{task}</text>
            {mine.map((b) => (
              <rect
                key={b.attempt}
                x={x(b.start)}
                y={y + (ROW - BAR) / 2}
                width={Math.max(2, x(b.end) - x(b.start))}
                height={BAR}
                rx="3"
                class={stateClass(b.status)}
              >
                <title>
                  {`${task}, attempt ${b.attempt}: ${b.status}, ${
                    secondsText((b.end.getTime() - b.start.getTime()) / 1000)
                  }`}
                </title>
              </rect>
            ))}
            {last
              ? (
                <text x={x(last.end) + 6} y={y + ROW / 2 + 4} class="gantt-value">
                  {secondsText(total)}
                </text>
              )
              : null}
          </g>
        );
      })}
    </svg>
  );
}
