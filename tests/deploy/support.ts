/** Reading the deploy files for the structural tests: compose files, .env.example, the variables src/config.ts reads. */
import { parse } from "yaml";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const DEPLOY = `${ROOT}deploy/`;

/** The compose files of the topology, by role (compose.yml includes them all). */
export const ROLE_FILES = {
  data: "compose.data.yml",
  workhorse: "compose.workhorse.yml",
  controltower: "compose.controltower.yml",
  nervous: "compose.nervous.yml",
} as const;

/** One service of a compose file (the fields the tests read). */
export interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  extra_hosts?: string[];
  healthcheck?: { test: string[] | string };
}

/** A parsed compose file. */
export interface ComposeFile {
  name?: string;
  include?: string[];
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

export function readText(path: string): string {
  return Deno.readTextFileSync(path.startsWith("/") ? path : `${ROOT}${path}`);
}

/** Parses a file of deploy/ as YAML. */
export function compose(file: string): ComposeFile {
  return parse(readText(`${DEPLOY}${file}`)) as ComposeFile;
}

/** Every service of the topology, with the file it comes from. */
export function allServices(): Map<string, { file: string; service: Service }> {
  const out = new Map<string, { file: string; service: Service }>();
  for (const file of Object.values(ROLE_FILES)) {
    for (const [name, service] of Object.entries(compose(file).services ?? {})) {
      if (out.has(name)) throw new Error(`service ${name} is defined twice (${file})`);
      out.set(name, { file, service });
    }
  }
  return out;
}

/** KEY=value lines of deploy/.env.example (comments and blank lines skipped). */
export function envExample(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readText(`${DEPLOY}.env.example`).split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/**
 * The environment variables src/config.ts reads, found in its source: `env.NAME`, `env["NAME"]`
 * and helpers called as `helper(env, "NAME", …)`. Parsing the source (rather than listing names
 * here) means a variable added there must be documented before this test passes.
 */
export function configVariables(): string[] {
  const src = readText("src/config.ts");
  const names = new Set<string>();
  for (
    const re of [
      /\benv\.([A-Z][A-Z0-9_]*)\b/g,
      /\benv\[\s*"([A-Z][A-Z0-9_]*)"\s*\]/g,
      /\(\s*env\s*,\s*"([A-Z][A-Z0-9_]*)"/g,
    ]
  ) {
    for (const m of src.matchAll(re)) names.add(m[1]);
  }
  return [...names].sort();
}

/** `${NAME}`, `${NAME:-x}`, `${NAME:?x}` references in a compose file ($$ escapes skipped). */
export function interpolated(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

/** Resolves a compose value like `${NAME:-default}` with the example env (for port checks). */
export function resolve(value: string | number, env: Map<string, string>): string {
  return String(value).replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}/g,
    (_, name: string, fallback = "") => env.get(name) || fallback,
  );
}

/** "8000:8000" or "127.0.0.1:8000:8000" → the published and the container port. */
export function portPair(spec: string): { published: number; container: number } {
  const parts = spec.split(":");
  return { published: Number(parts.at(-2)), container: Number(parts.at(-1)) };
}

/** The port of the http://127.0.0.1:PORT/ URL in a service's healthcheck, if any. */
export function healthcheckPort(service: Service): number | undefined {
  const test = service.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(" ") : test ?? "";
  const m = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)\//.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The text of one `## Heading` section of README.md. */
export function readmeSection(heading: string): string {
  const text = readText("README.md");
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = text.indexOf("\n## ", start + 4);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The file if it exists (monitoring/ is written by another issue), else undefined. */
export function optionalYaml(path: string): unknown {
  try {
    return parse(readText(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
