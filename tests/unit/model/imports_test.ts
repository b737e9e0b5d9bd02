/** The import graph of src/model: no cycles (type imports included), and other layers enter it only through its faces. */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Files other layers may import from src/model: the public face and the two narrow ones. */
const FACES = ["src/model/mod.ts", "src/model/browser.ts", "src/model/bench.ts"];

// `import … from "x"`, `import type … from "x"`, `export … from "x"` (one or several lines) and
// `import "x"`, each starting a line; a doc comment's text never does.
const CLAUSE = String.raw`(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?|\{[^}]*\})`;
const STATIC = new RegExp(
  String.raw`^(?:import|export)\s+${CLAUSE}\s*from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']`,
  "gm",
);

/** The specifiers of a module's static imports and re-exports, in order. */
export function staticImports(source: string): string[] {
  return [...source.matchAll(STATIC)].map((m) => m[1] ?? m[2]);
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(path);
    else if (/\.tsx?$/.test(e.name)) yield path;
  }
}

/** Each file under `dirs` (repository-relative) → the repository files its relative imports name. */
async function importGraph(dirs: readonly string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for await (const file of walk(dir)) {
      const text = await Deno.readTextFile(join(ROOT, file));
      graph.set(
        file,
        staticImports(text).filter((s) => s.startsWith(".")).map((s) =>
          relative(ROOT, normalize(join(ROOT, dirname(file), s)))
        ),
      );
    }
  }
  return graph;
}

/** Every cycle a depth-first walk meets, each as its path back to its start (a → b → a). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("staticImports() reads type imports, re-exports, multi-line and side-effect imports", () => {
  const source = [
    `/** Doc text: import nothing from "./doc.ts" here. */`,
    `import type { A } from "./a.ts";`,
    `import {`,
    `  B,`,
    `  type C,`,
    `} from "../b.ts";`,
    `import D, { E } from "./d.ts";`,
    `import * as F from "./f.ts";`,
    `export { G } from "./g.ts";`,
    `export type { H } from "./h.ts";`,
    `export * from "./i.ts";`,
    `import "./side.ts";`,
    `const x = await import("./dynamic.ts");`,
  ].join("\n");
  assert.deepEqual(staticImports(source), [
    "./a.ts",
    "../b.ts",
    "./d.ts",
    "./f.ts",
    "./g.ts",
    "./h.ts",
    "./i.ts",
    "./side.ts",
  ]);
});

Deno.test("findCycles() reports a cycle with its path and none in a graph without one", () => {
  const cyclic = new Map([
    ["a.ts", ["b.ts", "outside.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  assert.deepEqual(findCycles(cyclic), [["a.ts", "b.ts", "c.ts", "a.ts"]]);
  assert.deepEqual(findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []], ["c.ts", ["a.ts"]]])), []);
});

Deno.test("src/model has no import cycle, type-only imports included", async () => {
  const graph = await importGraph(["src/model"]);
  assert.ok(graph.has("src/model/recommender.ts") && graph.has("src/model/types.ts"));
  assert.ok(graph.size > 40, `walked ${graph.size} files`);
  const cycles = findCycles(graph);
  assert.deepEqual(cycles.map((c) => c.join(" → ")), [], "import cycles in src/model");
});

Deno.test("other layers import src/model only through mod.ts, browser.ts or bench.ts", async () => {
  const graph = await importGraph(["src", "pipelines", "web"]);
  const outside = [...graph.entries()].filter(([file]) => !file.startsWith("src/model/"));
  const reaching = outside.flatMap(([file, deps]) =>
    deps.filter((d) => d.startsWith("src/model/")).map((d) => [file, d])
  );
  assert.ok(reaching.length > 10, "other layers do use the model");
  const bad = reaching.filter(([, d]) => !FACES.includes(d)).map(([f, d]) => `${f} → ${d}`);
  assert.deepEqual(bad, [], "imports of src/model internals from other layers");
});
