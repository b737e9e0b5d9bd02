/** While a pipeline run is active, asks the API for it every 2 s and reloads the page when a task changes state. */
import { useEffect, useState } from "preact/hooks";
import { apiJson } from "../client/api.ts";

/** Plain-JSON props: the run and the state signature the page was rendered with. */
export interface RunWatcherProps extends Record<string, unknown> {
  runId: string;
  signature: string;
}

interface RunAnswer {
  status: string;
  tasks: { status: string; tries: number }[];
}

/** The state of a run in one string: its status and every task's state and tries. */
export function signatureOf(run: RunAnswer): string {
  return [run.status, ...run.tasks.map((t) => `${t.status}:${t.tries}`)].join(",");
}

/** The watcher island: a live-status line. */
export default function RunWatcher(props: RunWatcherProps) {
  const [note, setNote] = useState("This run is in progress; the page follows it.");
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      try {
        const run = await apiJson<RunAnswer>(
          `/api/v1/pipeline/runs/${encodeURIComponent(props.runId)}?logs=none`,
        );
        if (signatureOf(run) !== props.signature) return location.reload();
      } catch (err) {
        setNote(`Could not follow the run: ${(err as Error).message}`);
      }
      if (!stopped) timer = setTimeout(tick, 2000);
    };
    let timer = setTimeout(tick, 2000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return <p class="muted live" role="status">{note}</p>;
}
