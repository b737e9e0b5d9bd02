/** `deno task build`: the WASM kernel (wasm/build.ts), then the site's islands and CSS (web/build.ts); each skips itself when up to date. */
const root = new URL("../../", import.meta.url).pathname;
const args = Deno.args.filter((a) => a === "--quiet" || a === "--force");

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(
    "deno task build [--quiet] [--force]\n" +
      "  Compiles the AssemblyScript kernel to wasm/build/kernel.wasm and bundles the site's islands\n" +
      "  and CSS into web/dist (content-hashed names), each only when its sources changed.",
  );
  Deno.exit(0);
}
const unknown = Deno.args.filter((a) => !["--quiet", "--force"].includes(a));
if (unknown.length) {
  console.error(`error: unknown argument ${unknown[0]}; expected --quiet, --force or --help`);
  Deno.exit(2);
}
for (const script of ["wasm/build.ts", "web/build.ts"]) {
  const { code } = await new Deno.Command(Deno.execPath(), {
    // `deno task build` fills Deno's npm cache first (the deps task), so the scripts run from it
    // alone: without --cached-only the AssemblyScript compiler, which imports its own package by
    // name, makes Deno ask the npm registry for that package's versions on every compile.
    args: [
      "run",
      "--cached-only",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      script,
      ...args,
    ],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (code !== 0) Deno.exit(code);
}
