/** Bundles the islands (one entry each, shared chunks split out), the CSS and the WASM kernel into web/dist with content-hashed names. */
import { createRequire } from "node:module";
import { join } from "node:path";
import { type AssetManifest, DIST_DIR, MANIFEST_FILE } from "./assets.ts";

const web = new URL(".", import.meta.url).pathname;
const root = join(web, "..");
// Per process, like the staging folder: two builds at once never share a file.
const entriesDir = join(web, `.entries.${Deno.pid}`);
// uPlot's own stylesheet comes from its npm package, appended to the site's.
const CSS = [
  join(web, "static/site.css"),
  createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css"),
];
// Built by wasm/build.ts first (deno task build runs both); visitors' browsers rank with it.
const KERNEL = join(root, "wasm/build/kernel.wasm");
// What the islands bundle from the library: the in-browser ranker (src/model/browser.ts and its
// imports) and the families it ranks (src/serving/browser_families.ts).
const LIBRARY = [
  "src/model",
  "src/features",
  "src/digest.ts",
  "src/errors.ts",
  "src/random.ts",
  "src/serving/browser_families.ts",
];

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

// Newest modification time under `path` (a folder's own time changes when a file is added or removed).
function newestUnder(path: string): number {
  let newest = mtime(path);
  if (Deno.statSync(path).isDirectory) {
    for (const e of Deno.readDirSync(path)) {
      newest = Math.max(newest, newestUnder(join(path, e.name)));
    }
  }
  return newest;
}

/** Newest modification time of everything that goes into the bundle. */
function newestInput(): number {
  let newest = Math.max(mtime(join(root, "deno.json")), mtime(join(root, "deno.lock")));
  for (const dir of ["islands", "components", "client", "static"]) {
    newest = Math.max(newest, newestUnder(join(web, dir)));
  }
  for (const path of LIBRARY) newest = Math.max(newest, newestUnder(join(root, path)));
  return Math.max(newest, mtime(KERNEL), mtime(join(web, "build.ts")));
}

/** Island names: one per file in web/islands (the file name is the island's name). */
export function islandNames(): string[] {
  return [...Deno.readDirSync(join(web, "islands"))]
    .filter((e) => e.isFile && e.name.endsWith(".tsx"))
    .map((e) => e.name.slice(0, -4))
    .sort();
}

async function shortHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes one entry per island: hydrate every instance of it on the page. */
function writeEntries(names: string[]): string[] {
  removeIfPresent(entriesDir);
  Deno.mkdirSync(entriesDir, { recursive: true });
  return names.map((name) => {
    const path = join(entriesDir, `${name}.ts`);
    Deno.writeTextFileSync(
      path,
      `import C from "../islands/${name}.tsx";\nimport { hydrateIslands } from "../client/hydrate.ts";\n` +
        `hydrateIslands(${JSON.stringify(name)}, C);\n`,
    );
    return path;
  });
}

async function bundle(entries: string[], outdir: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--format",
      "esm",
      "--code-splitting",
      "--minify",
      "--outdir",
      outdir,
      ...entries,
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`deno bundle failed (exit ${code}):\n${new TextDecoder().decode(stderr)}`);
  }
}

function readKernel(): Uint8Array {
  try {
    return Deno.readFileSync(KERNEL);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${KERNEL} is missing: build the kernel first (deno task build)`);
    }
    throw err;
  }
}

// Whether web/dist now holds a complete build with exactly `manifest`.
function sameBuild(manifest: AssetManifest): boolean {
  try {
    return Deno.readTextFileSync(join(DIST_DIR, MANIFEST_FILE)) ===
      JSON.stringify(manifest, null, 2);
  } catch {
    return false;
  }
}

/** Builds web/dist and its manifest; returns the manifest. */
export async function buildSite(): Promise<AssetManifest> {
  const names = islandNames();
  const staging = `${DIST_DIR}.${Deno.pid}.tmp`;
  Deno.mkdirSync(staging, { recursive: true });
  try {
    await bundle(writeEntries(names), staging);
    const islands: Record<string, string> = {};
    for (const name of names) {
      const bytes = Deno.readFileSync(join(staging, `${name}.js`));
      islands[name] = `${name}-${await shortHash(bytes)}.js`;
      Deno.renameSync(join(staging, `${name}.js`), join(staging, islands[name]));
    }
    const css = new TextEncoder().encode(CSS.map((p) => Deno.readTextFileSync(p)).join("\n"));
    const cssFile = `site-${await shortHash(css)}.css`;
    Deno.writeFileSync(join(staging, cssFile), css);
    const kernel = readKernel();
    const kernelFile = `kernel-${await shortHash(kernel)}.wasm`;
    Deno.writeFileSync(join(staging, kernelFile), kernel);
    const files = [...Deno.readDirSync(staging)].map((e) => e.name).sort();
    const manifest: AssetManifest = { css: cssFile, islands, files, kernel: kernelFile };
    Deno.writeTextFileSync(join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    try {
      removeIfPresent(DIST_DIR);
      Deno.renameSync(staging, DIST_DIR);
    } catch (err) {
      // Another process (two `deno task serve` starting together) built the same inputs and put
      // its folder in place between our remove and rename: its content is ours (content-hashed).
      if (!sameBuild(manifest)) throw err;
      removeIfPresent(staging);
    }
    return manifest;
  } catch (err) {
    removeIfPresent(staging);
    throw err;
  } finally {
    removeIfPresent(entriesDir);
  }
}

if (import.meta.main) {
  const quiet = Deno.args.includes("--quiet");
  if (Deno.args.includes("--help")) {
    console.log(
      "deno run -A web/build.ts [--quiet] [--force]\n  Bundles the site's islands and CSS into web/dist (content-hashed names) when a source changed.",
    );
    Deno.exit(0);
  }
  if (!Deno.args.includes("--force") && mtime(join(DIST_DIR, MANIFEST_FILE)) > newestInput()) {
    if (!quiet) console.log(`site assets up to date: ${DIST_DIR}`);
    Deno.exit(0);
  }
  const started = performance.now();
  try {
    const m = await buildSite();
    if (!quiet) {
      console.log(
        `built ${DIST_DIR} (${Object.keys(m.islands).length} islands, ${m.files.length} files) in ${
          Math.round(performance.now() - started)
        } ms`,
      );
    }
  } catch (err) {
    console.error(`error: site build failed: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
