/** A DAG drawn as inline SVG: tasks in columns by depth, edges as arrows (arcs over skipped columns), nodes coloured by state. */
import { stateClass } from "./pipeline_state.tsx";

const W = 112, H = 46, GAP_X = 28, GAP_Y = 26, TOP = 48, PAD = 8;

/** Where each task and edge goes. */
export interface DagLayout {
  nodes: { id: string; x: number; y: number; level: number }[];
  edges: { from: string; to: string; path: string }[];
  width: number;
  height: number;
}

/**
 * Lays tasks (in dependency order) out left to right: a task's column is one more than its
 * deepest upstream task's, rows in task order within a column. An edge between neighbouring
 * columns is a curve; one that skips columns arcs above the row so it never crosses a node.
 */
export function layoutDag(
  tasks: readonly { id: string; upstream: readonly string[] }[],
): DagLayout {
  const level = new Map<string, number>();
  const rows = new Map<number, number>();
  const nodes = tasks.map((t) => {
    const l = Math.max(-1, ...t.upstream.map((u) => level.get(u) ?? 0)) + 1;
    level.set(t.id, l);
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    return { id: t.id, level: l, x: PAD + l * (W + GAP_X), y: TOP + row * (H + GAP_Y) };
  });
  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges = tasks.flatMap((t) =>
    t.upstream.map((u) => {
      const a = at.get(u)!, b = at.get(t.id)!;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 4, y2 = b.y + H / 2;
      const span = b.level - a.level;
      const lift = span > 1 && a.y === b.y ? 14 + 12 * span : 0;
      const path = lift
        ? `M${x1} ${a.y + 10} C${x1 + 30} ${a.y - lift}, ${x2 - 30} ${b.y - lift}, ${x2} ${
          b.y + 10
        }`
        : `M${x1} ${y1} C${x1 + GAP_X / 2} ${y1}, ${x2 - GAP_X / 2} ${y2}, ${x2} ${y2}`;
      return { from: u, to: t.id, path };
    })
  );
  return {
    nodes,
    edges,
    width: PAD * 2 + Math.max(...nodes.map((n) => n.x)) + W,
    height: Math.max(...nodes.map((n) => n.y)) + H + PAD,
  };
}

/** The graph, each node linking to its task's attempts below. */
export function DagGraph(
  { tasks, states, labels }: {
    tasks: readonly { id: string; upstream: readonly string[] }[];
    /** State of each task (colours the node). */
    states: Record<string, string>;
    /** A second line under each task id, e.g. its duration. */
    labels: Record<string, string>;
  },
) {
  const g = layoutDag(tasks);
  return (
    <svg
      class="dag"
      viewBox={`0 0 ${g.width} ${g.height}`}
      width={g.width}
      role="img"
      aria-label={`The DAG: ${g.edges.map((e) => `${e.from} → ${e.to}`).join(", ")}`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0 0L10 5L0 10z" class="dag-arrow" />
        </marker>
      </defs>
      {g.edges.map((e) => (
        <path
          key={`${e.from}-${e.to}`}
          d={e.path}
          class="dag-edge"
          marker-end="url(#arrow)"
          data-edge={`${e.from}>${e.to}`}
        />
      ))}
      {g.nodes.map((n) => (
        <a key={n.id} href={`#task-${n.id}`} data-task={n.id}>
          <rect
            x={n.x}
            y={n.y}
            width={W}
            height={H}
            rx="8"
            class={stateClass(states[n.id] ?? "pending")}
          />
          <text x={n.x + W / 2} y={n.y + 19} class="dag-name">{n.id}</text>
          <text x={n.x + W / 2} y={n.y + 36} class="dag-sub">{labels[n.id] ?? ""}</text>
        </a>
      ))}
    </svg>
  );
}
