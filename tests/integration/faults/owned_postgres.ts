/** A PostgreSQL server a test owns (its own data folder and port), started from the Debian binaries so the test can stop and restart it. */

/** A server the test can stop and start; `url` stays valid across restarts. */
export interface OwnedPostgres {
  url: string;
  port: number;
  /** Stops it: "fast" ends sessions cleanly, "immediate" is a crash (no shutdown checkpoint). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** Stops it if running and deletes its folder. */
  close(): Promise<void>;
}

/** The newest /usr/lib/postgresql/N/bin, or null when the Debian server package is absent. */
export function postgresBin(): string | null {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => Number(e.name))
      .filter((n) => n > 0).sort((a, b) => b - a);
    for (const v of versions) {
      const bin = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch { /* next */ }
    }
  } catch { /* no server installed */ }
  return null;
}

/** Why tests needing their own server are skipped, or null. */
export function ownedPostgresSkipReason(): string | null {
  return postgresBin() === null
    ? "no /usr/lib/postgresql/*/bin/initdb: install the Debian package postgresql"
    : null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<void> {
  // initdb and the server refuse to run as root: as root, run them as the postgres user.
  const asRoot = Deno.uid() === 0;
  const out = await new Deno.Command(asRoot ? "runuser" : cmd, {
    args: asRoot ? ["-u", "postgres", "--", cmd, ...args] : args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${text}`);
  }
}

/** initdb in a fresh folder, then starts the server on a free loopback port (trust auth). */
export async function startOwnedPostgres(): Promise<OwnedPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(ownedPostgresSkipReason()!);
  const dir = await Deno.makeTempDir({ prefix: "reelrank-owned-pg-" });
  if (Deno.uid() === 0) {
    const { uid, gid } = await (async () => {
      const line = (await Deno.readTextFile("/etc/passwd")).split("\n")
        .find((l) => l.startsWith("postgres:"))!.split(":");
      return { uid: Number(line[2]), gid: Number(line[3]) };
    })();
    await Deno.chown(dir, uid, gid);
  }
  const data = `${dir}/data`;
  await run(`${bin}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = freePort();
  const options =
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  let running = false;
  const server: OwnedPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await run(`${bin}/pg_ctl`, ["-D", data, "-o", options, "-l", `${dir}/log`, "-w", "start"]);
      running = true;
    },
    async stop(mode = "fast") {
      await run(`${bin}/pg_ctl`, ["-D", data, "-m", mode, "-w", "stop"]);
      running = false;
    },
    async close() {
      try {
        if (running) await server.stop("immediate");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
  await server.start();
  return server;
}
