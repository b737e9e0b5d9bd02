/** Runs wrk (the Debian package) against a URL and reads its requests/s and latency percentiles. */

/** One wrk run's figures. */
export interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /**
   * Answers with a status of 400 or more and socket errors together (wrk's "Non-2xx or 3xx
   * responses" line counts only statuses above 399, whatever its name says).
   */
  errors: number;
  /** Socket errors alone: connect, read, write and timeout. */
  socketErrors: number;
}

/** True when `wrk` is on the PATH. */
export async function haveWrk(): Promise<boolean> {
  try {
    const out = await new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" })
      .output();
    // wrk -v prints its version and exits 1; a missing binary throws instead.
    return out.code === 0 || out.code === 1;
  } catch {
    return false;
  }
}

function ms(value: string, unit: string): number {
  const v = Number(value);
  return unit === "us" ? v / 1000 : unit === "ms" ? v : unit === "s" ? v * 1000 : v * 60_000;
}

/** Parses `wrk --latency` output. */
export function parseWrk(text: string): WrkResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([0-9.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(text)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps,
    p50_ms: pct("50"),
    p99_ms: pct("99"),
    requests,
    errors: non2xx + socketErrors,
    socketErrors,
  };
}

/** Runs `wrk` for `seconds` with `connections` and an optional Lua script (and its arguments). */
export async function runWrk(
  url: string,
  options: {
    seconds: number;
    connections: number;
    threads: number;
    script?: string;
    scriptArgs?: string[];
  },
): Promise<WrkResult & { output: string }> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    "--timeout",
    "5s",
  ];
  if (options.script) args.push("-s", options.script);
  const extra = options.scriptArgs?.length ? ["--", ...options.scriptArgs] : [];
  const out = await new Deno.Command("wrk", { args: [...args, url, ...extra], stdout: "piped" })
    .output();
  const output = new TextDecoder().decode(out.stdout);
  return { ...parseWrk(output), output };
}
