/** The deploy files, checked structurally (no Docker engine runs here): commands, variables, the image. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import {
  allServices,
  compose,
  configVariables,
  DEPLOY,
  envExample,
  interpolated,
  readmeSection,
  readText,
  ROLE_FILES,
  ROOT,
} from "./support.ts";

const TASKS = JSON.parse(readText("deno.json")).tasks as Record<string, string>;
/** The reelrank roles and the task each one runs. */
const ROLES = { workhorse: "serve", controltower: "scheduler" } as const;
/** Set by CI itself, never by a deployment: documented, but not in .env.example or the roles. */
const NOT_DEPLOYED = new Set(["CI"]);

function command(role: keyof typeof ROLES): string[] {
  const c = allServices().get(role)?.service.command;
  assert.ok(Array.isArray(c), `${role} has an exec-form command`);
  return c as string[];
}

Deno.test("compose.yml includes the file of every role, and no service is defined twice", () => {
  assert.deepEqual(compose("compose.yml").include?.sort(), Object.values(ROLE_FILES).sort());
  const names = [...allServices().keys()].sort();
  for (
    const s of [
      "workhorse",
      "controltower",
      "postgres",
      "minio",
      "prometheus",
      "alertmanager",
      "grafana",
      "loki",
      "promtail",
    ]
  ) assert.ok(names.includes(s), `no ${s} service in deploy/ (has ${names.join(", ")})`);
});

Deno.test("workhorse runs `deno task serve`, a task of deno.json, like the image's default command", () => {
  assert.deepEqual(command("workhorse"), ["deno", "task", ROLES.workhorse]);
  assert.ok(TASKS[ROLES.workhorse], `deno.json has no "${ROLES.workhorse}" task`);
  assert.match(readText(`${DEPLOY}Dockerfile`), /^CMD \["deno", "task", "serve"\]$/m);
});

Deno.test("controltower runs `deno task scheduler`, a task of deno.json", () => {
  assert.deepEqual(command("controltower"), ["deno", "task", ROLES.controltower]);
  assert.ok(TASKS[ROLES.controltower], `deno.json has no "${ROLES.controltower}" task`);
});

Deno.test("every variable src/config.ts reads is in deploy/.env.example and README's Configuration table", () => {
  const vars = configVariables();
  assert.ok(vars.length >= 20 && vars.includes("DATABASE_URL"), `parsed ${vars.join(", ")}`);
  const example = envExample();
  const table = readmeSection("Configuration");
  for (const v of vars) {
    assert.ok(table.includes(`\`${v}\``), `${v} is not in README's Configuration table`);
    if (NOT_DEPLOYED.has(v)) continue;
    assert.ok(example.has(v), `${v} (read by src/config.ts) is not in deploy/.env.example`);
  }
});

Deno.test("both reelrank roles pass every configuration variable through, and only those", () => {
  const vars = new Set(configVariables());
  for (const role of Object.keys(ROLES)) {
    const env = allServices().get(role)!.service.environment ?? {};
    for (const v of vars) {
      if (!NOT_DEPLOYED.has(v)) assert.ok(v in env, `${role} does not pass ${v} through`);
    }
    for (const k of Object.keys(env)) {
      assert.ok(
        vars.has(k),
        `${role} sets ${k}, which src/config.ts does not read (a typo?)`,
      );
    }
  }
});

Deno.test("every ${VARIABLE} the compose files use is defined in deploy/.env.example", () => {
  const example = envExample();
  for (const file of ["compose.yml", ...Object.values(ROLE_FILES)]) {
    for (const v of interpolated(readText(`${DEPLOY}${file}`))) {
      assert.ok(example.has(v), `${file} uses \${${v}}, which deploy/.env.example does not define`);
    }
  }
});

Deno.test("deploy/.env.example is a valid configuration whose secrets are all placeholders", () => {
  const example = Object.fromEntries(envExample());
  const config = loadConfig(example);
  assert.match(config.databaseUrl ?? "", /^postgres:\/\/.*@postgres:5432\//);
  assert.equal(config.objectStoreUrl, "s3://reelrank/");
  for (const [k, v] of Object.entries(example)) {
    if (/PASSWORD|SECRET|TOKEN/.test(k) && v !== "") {
      assert.match(v, /change-me/, `${k} in .env.example must be a change-me placeholder`);
    }
  }
  // The database URL's password is the PostgreSQL service's password.
  assert.ok(example.DATABASE_URL.includes(`:${example.POSTGRES_PASSWORD}@`));
  assert.ok(example.DATABASE_URL.endsWith(`/${example.POSTGRES_DB}`));
});

Deno.test("the image installs Deno from npm at the version CI uses and runs as a user of its own", () => {
  const dockerfile = readText(`${DEPLOY}Dockerfile`);
  const ci = readText(`${ROOT}.ci/run`);
  const version = /deno@(\d+\.\d+\.\d+)/.exec(ci)?.[1];
  assert.ok(version, ".ci/run names the Deno version");
  assert.match(dockerfile, new RegExp(`ARG DENO_VERSION=${version.replaceAll(".", "\\.")}`));
  assert.match(dockerfile, /npm install -g "deno@\$\{DENO_VERSION\}"/);
  // Dependencies, the kernel and the site are made at build time.
  assert.match(dockerfile, /RUN deno install --frozen/);
  assert.match(dockerfile, /RUN deno task build --quiet/);
  const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  assert.ok(users.length > 0, "the image sets a USER");
  assert.ok(!["root", "0"].includes(users.at(-1)!), `the image runs as ${users.at(-1)}`);
  assert.match(dockerfile, /DENO_NO_UPDATE_CHECK=1/);
  const ignore = readText(`${DEPLOY}Dockerfile.dockerignore`).split("\n");
  for (const p of [".git", "deploy/.env", ".reelrank"]) {
    assert.ok(ignore.includes(p), `Dockerfile.dockerignore keeps ${p} out of the image`);
  }
});

Deno.test("the compose files build the image from the repository root and publish no secret", () => {
  for (const role of Object.keys(ROLES)) {
    const file = readText(`${DEPLOY}${ROLE_FILES[role as keyof typeof ROLE_FILES]}`);
    assert.match(file, /context: \.\.\n\s+dockerfile: deploy\/Dockerfile/);
    // Secrets come from deploy/.env, never written in a compose file.
    assert.doesNotMatch(file, /change-me/);
  }
});
