/** CPU time of this process's threads by kind (Linux /proc): the main thread, Web Workers, the rest. */

/** Milliseconds of CPU (user + system) so far: the calling thread, Web Workers, runtime helpers. */
export interface ThreadCpu {
  main: number;
  workers: number;
  other: number;
}

/** Reads every thread's CPU time; null where /proc is not there (not Linux). */
export function threadCpu(): ThreadCpu | null {
  const out: ThreadCpu = { main: 0, workers: 0, other: 0 };
  try {
    // The calling JavaScript thread ("<pid>/task/<tid>"): not always the process's first thread.
    const self = Deno.readLinkSync("/proc/thread-self").split("/").pop();
    for (const t of Deno.readDirSync("/proc/self/task")) {
      const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime (fields 14 and 15 of stat) in clock ticks of 10 ms.
      const ms = (Number(f[11]) + Number(f[12])) * 10;
      if (t.name === self) out.main += ms;
      else if (name.startsWith("worker-")) out.workers += ms;
      else out.other += ms;
    }
  } catch {
    return null;
  }
  return out;
}

/** CPU microseconds per request between two readings (null when either is missing). */
export function cpuPerRequest(
  before: ThreadCpu | null,
  after: ThreadCpu | null,
  requests: number,
): { main_us: number; workers_us: number; other_us: number } | null {
  if (!before || !after || requests <= 0) return null;
  const per = (k: keyof ThreadCpu) => Math.round(((after[k] - before[k]) * 1000) / requests);
  return { main_us: per("main"), workers_us: per("workers"), other_us: per("other") };
}
