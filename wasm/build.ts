/** Compiles wasm/assembly to wasm/build/kernel.wasm with AssemblyScript, only when a source is newer. */

const here = new URL(".", import.meta.url).pathname;
const out = `${here}build/kernel.wasm`;

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/** Newest modification time among the kernel sources and the compiler config. */
function newestSource(): number {
  let newest = mtime(`${here}asconfig.json`);
  for (const entry of Deno.readDirSync(`${here}assembly`)) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, mtime(`${here}assembly/${entry.name}`));
    }
  }
  return newest;
}

const quiet = Deno.args.includes("--quiet");
const force = Deno.args.includes("--force");
if (Deno.args.includes("--help")) {
  console.log(
    "deno task build [--quiet] [--force]\n  Compiles the AssemblyScript kernel to wasm/build/kernel.wasm when its sources changed.",
  );
  Deno.exit(0);
}
if (!force && mtime(out) > newestSource()) {
  if (!quiet) console.log(`kernel up to date: ${out}`);
  Deno.exit(0);
}
const started = performance.now();
// Loaded only to compile: asc imports its own package by name, which Deno resolves by asking the
// registry for the package's versions unless run with --cached-only (src/cli/build.ts tries that
// first), so an up-to-date check must not load it. A non-literal specifier keeps Deno's module
// graph from fetching it ahead of time.
const ascModule = "assemblyscript/asc";
const asc: typeof import("assemblyscript/asc") = (await import(ascModule)).default;
const { error, stderr } = await asc.main(
  ["--config", `${here}asconfig.json`, "--target", "release"],
  {
    stdout: { write: () => true } as never,
    // Write to a temporary name and rename, so a concurrent reader never sees half a module.
    writeFile: (name: string, contents: Uint8Array | string, baseDir: string) => {
      const path = name.startsWith("/") ? name : `${baseDir}/${name}`;
      Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      const tmp = `${path}.${Deno.pid}.tmp`;
      if (typeof contents === "string") Deno.writeTextFileSync(tmp, contents);
      else Deno.writeFileSync(tmp, contents);
      Deno.renameSync(tmp, path);
    },
  },
);
if (error) {
  console.error(stderr.toString());
  console.error(`error: kernel build failed: ${error.message}`);
  Deno.exit(1);
}
if (!quiet) console.log(`built ${out} in ${Math.round(performance.now() - started)} ms`);
