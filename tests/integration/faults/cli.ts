/** Running reelrank's commands as separate processes for the fault tests: spawn with an environment, read their output, kill the whole command. */

const ROOT = new URL("../../../", import.meta.url).pathname;

/** A command running in its own process group (so `deno task` and the script it starts die together). */
export interface RunningCommand {
  pid: number;
  /** stderr and stdout as read so far. */
  output(): string;
  /** Resolves when the output matches `re` (rejects if the command ends first). */
  waitFor(re: RegExp): Promise<void>;
  /** SIGKILL to the whole group: `deno task`, its `deno run` and every worker thread. */
  kill(): void;
  status: Promise<Deno.CommandStatus>;
}

/** Environment of the commands: only what the test sets, over a clean base (no inherited DATABASE_URL). */
export function commandEnv(vars: Record<string, string>): Record<string, string> {
  return {
    LOG_LEVEL: "warn",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DATABASE_URL: "",
    OBJECT_STORE_URL: "",
    S3_BUCKET: "",
    S3_ENDPOINT: "",
    REELRANK_ADMIN_TOKEN: "",
    CI: "",
    ...vars,
  };
}

/** Starts `deno <args>` in the repository with `env`, in a new session (setsid) so it can be killed whole. */
export function spawnDeno(args: string[], env: Record<string, string>): RunningCommand {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const waiters: { re: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      check();
    }
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = pumped.then(() => child.status);
  status.then(() => {
    for (const w of waiters.splice(0)) {
      w.reject(new Error(`the command ended before printing ${w.re}:\n${text}`));
    }
  });
  return {
    pid: child.pid,
    output: () => text,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ re, resolve, reject });
        check();
      }),
    kill: () => Deno.kill(-child.pid, "SIGKILL"),
    status,
  };
}

/** Runs `deno <args>` to the end; resolves with its exit code and output. */
export async function runDeno(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const cmd = spawnDeno(args, env);
  const status = await cmd.status;
  return { code: status.code, output: cmd.output() };
}

/**
 * Polls `check` (another process's state: nothing in this one to await) every 100 ms until it
 * returns a value other than undefined, or fails after `timeoutMs` naming `what`.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A `deno task serve` process: its URL once it listens. */
export interface ServeProcess {
  url: string;
  command: RunningCommand;
  /** SIGTERM, then waits for the clean shutdown. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Starts `deno task serve --port 0` and resolves once it prints its address. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const command = spawnDeno(["task", "serve", "--port", "0"], env);
  await command.waitFor(/^reelrank is serving .* on http:\/\/\S+$/m);
  const url = /^reelrank is serving .* on (http:\/\/\S+)$/m.exec(command.output())![1];
  return {
    url,
    command,
    async stop() {
      // Idempotent: a test's `finally` may stop a server its body already stopped.
      try {
        Deno.kill(-command.pid, "SIGTERM");
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      return await command.status;
    },
  };
}

/** `deno task train` with the test's small model (tests/fixtures/sequences/params.ts), `epochs` long. */
export function trainArgs(epochs = 3): string[] {
  return [
    "task",
    "train",
    "--dim=16",
    "--hidden=32",
    "--projection=0",
    "--batch=64",
    "--negatives=64",
    "--members=1",
    "--average-top=1",
    "--dropout=0.1",
    "--input-dropout=0.1",
    "--lr=0.003",
    "--seed=3",
    `--epochs=${epochs}`,
    `--patience=${epochs}`,
  ];
}

/**
 * A test of separate processes: ignored (with the reason printed) when `skip` names a missing
 * program; no sanitizers, since the processes and their sockets outlive single awaits.
 */
export function processTest(name: string, skip: string | null, fn: () => Promise<void>): void {
  if (skip) console.warn(`skipping "${name}": ${skip}`);
  Deno.test({ name, ignore: skip !== null, sanitizeOps: false, sanitizeResources: false, fn });
}
