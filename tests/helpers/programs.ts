/** Tests that run a Debian program (promtool, prometheus, amtool): where it is, and a test that skips naming its package when it is absent. */

/** The absolute path of `name` on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/${name}`;
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not in this folder */ }
  }
  return null;
}

/** Runs `program` with `args` (and `stdin`), returning its exit code and both outputs. */
export async function run(
  program: string,
  args: string[],
  options: { stdin?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/**
 * A test needing `program` from the Debian package `pkg`: skipped with a message naming the
 * package when the program is absent.
 */
export function programTest(
  name: string,
  needs: { program: string; pkg: string },
  fn: (path: string) => Promise<void>,
  options: { sanitizeOps?: boolean; sanitizeResources?: boolean } = {},
): void {
  const path = which(needs.program);
  if (!path) {
    console.warn(
      `skipping "${name}": ${needs.program} is missing; install the Debian package ${needs.pkg} (apt-get install ${needs.pkg})`,
    );
  }
  Deno.test({ name, ignore: !path, ...options, fn: () => fn(path!) });
}
