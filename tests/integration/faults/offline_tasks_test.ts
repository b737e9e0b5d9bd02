/** Once Deno's cache is filled, every `deno task` runs with the npm registry unreachable: no request leaves the machine. */
import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url).pathname;
const TASKS = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks as Record<string, string>;

/** Deno's own cache folder (where `deno install` put the npm packages). */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

/**
 * A copy of Deno's npm cache made of hard links, without the registry's package documents
 * (`registry.json`): the state a first `deno run` leaves behind (it installs the packages from
 * deno.lock and keeps no package documents), in which Deno asks the registry again whenever it
 * resolves a package by name.
 */
async function cacheWithoutPackageDocuments(): Promise<string> {
  const from = await denoDir();
  const to = await Deno.makeTempDir({ prefix: "reelrank-offline-deno-" });
  for (const part of ["npm", "dl", "gen"]) {
    const cp = await new Deno.Command("cp", { args: ["-al", `${from}/${part}`, `${to}/`] })
      .output();
    assert.equal(cp.code, 0, new TextDecoder().decode(cp.stderr));
  }
  const rm = await new Deno.Command("find", {
    args: [`${to}/npm`, "-name", "registry.json", "-delete"],
  }).output();
  assert.equal(rm.code, 0);
  return to;
}

/** An HTTP(S) proxy standing for the network: it notes each request's first line and drops it. */
function deadNetwork(): { url: string; requests: string[]; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(512);
      requests.push("(a connection)");
      const at = requests.length - 1;
      conn.read(buf).then((n) => {
        requests[at] = new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
      }).catch(() => {}).finally(() => conn.close());
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    requests,
    close: () => listener.close(),
  };
}

Deno.test({
  name: "every task runs from Deno's cache with the npm registry unreachable, asking it nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await cacheWithoutPackageDocuments();
    const net = deadNetwork();
    const dataDir = await Deno.makeTempDir({ prefix: "reelrank-offline-data-" });
    const env = {
      DENO_DIR: dir,
      HTTPS_PROXY: net.url,
      HTTP_PROXY: net.url,
      https_proxy: net.url,
      http_proxy: net.url,
      NO_PROXY: "",
      no_proxy: "",
      REELRANK_DATA_DIR: dataDir,
      DATABASE_URL: "",
      OBJECT_STORE_URL: "",
      NO_COLOR: "1",
      // Deno's daily check for a newer Deno (dl.deno.land, in the background) is not a task's
      // need; a deployment turns it off the same way (deploy/Dockerfile).
      DENO_NO_UPDATE_CHECK: "1",
    };
    const run = async (args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env }).output();
      return {
        code: out.code,
        stderr: new TextDecoder().decode(out.stderr),
        stdout: new TextDecoder().decode(out.stdout),
      };
    };
    try {
      // Every task that runs a script: its --help loads the script's whole module graph.
      const commands: string[][] = [["task", "build", "--quiet"]];
      for (const [name, task] of Object.entries(TASKS)) {
        if (/deno run/.test(task) && name !== "build") commands.push(["task", name, "--help"]);
      }
      // A command that opens the embedded database (its module is imported on demand).
      commands.push(["task", "models", "list"]);
      // And a compile of the kernel, whose compiler imports its own package by name.
      commands.push([
        "run",
        "--cached-only",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-sys",
        "wasm/build.ts",
        "--force",
        "--quiet",
      ]);
      for (const args of commands) {
        const r = await run(args);
        const what = `deno ${args.join(" ")}`;
        assert.equal(r.code, 0, `${what} failed offline:\n${r.stderr}`);
        assert.doesNotMatch(
          r.stderr,
          /Download/,
          `${what} fetched from the registry:\n${r.stderr}`,
        );
        assert.deepEqual(net.requests, [], `${what} tried the network:\n${r.stderr}`);
      }
    } finally {
      net.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("every task that runs a script fills the cache first and then runs from it alone", () => {
  for (const [name, task] of Object.entries(TASKS)) {
    for (const step of task.split("&&").map((s) => s.trim())) {
      if (!/^deno (run|test) /.test(step)) continue;
      assert.match(step, /--cached-only/, `task "${name}" runs "${step}" without --cached-only`);
      assert.ok(
        /^deno task (-q )?(deps|build)\b/.test(task),
        `task "${name}" must start with \`deno task -q deps\` or \`deno task build --quiet\`, which fill Deno's cache`,
      );
    }
  }
  assert.match(TASKS.deps, /deno install --cached-only .*\|\| deno install/);
});
