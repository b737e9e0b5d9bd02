/** Loads a run's per-epoch curves from the tracking store: one series per ensemble member (metrics `member<i>_<name>`). */
import type { Run, TrackingStore } from "../../src/tracking/store.ts";
import type { Series } from "../components/curves.ts";

/** The member numbers that logged `name` in `run`, ascending. */
export function membersOf(run: Run, name: string): number[] {
  const re = new RegExp(`^member(\\d+)_${name}$`);
  return Object.keys(run.metrics).flatMap((k) => {
    const m = re.exec(k);
    return m ? [Number(m[1])] : [];
  }).sort((a, b) => a - b);
}

/** One series per member of `run` for the per-epoch metric `name` (e.g. train_loss, val_ndcg10). */
export async function memberCurves(
  tracking: TrackingStore,
  run: Run,
  options: { name: string; label?: (member: number) => string },
): Promise<Series[]> {
  const label = options.label ?? ((m: number) => `member ${m}`);
  return await Promise.all(
    membersOf(run, options.name).map(async (m) => {
      const points = await tracking.getMetricHistory(run.id, `member${m}_${options.name}`);
      return { label: label(m), points: points.map((p) => [p.step, p.value] as [number, number]) };
    }),
  );
}
