/** Ports agree everywhere: compose ports and healthchecks, src/config.ts defaults, and monitoring/ when it exists. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import {
  allServices,
  envExample,
  healthcheckPort,
  optionalYaml,
  portPair,
  resolve,
  ROOT,
  type Service,
} from "./support.ts";

/** Each reelrank role, the variable naming its port, and the port its compose service uses. */
const ROLE_PORTS = { workhorse: "PORT", controltower: "SCHEDULER_PORT" } as const;

/** The ports a service publishes (container side). */
function published(service: Service): number[] {
  return (service.ports ?? []).map((p) => {
    const { published, container } = portPair(p);
    assert.equal(published, container, `port ${p}: hosts reach a service on its own port`);
    return container;
  });
}

/** The service's environment as the container sees it (compose defaults applied). */
function containerEnv(service: Service): Record<string, string> {
  const example = envExample();
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, resolve(v, example)]),
  );
}

/** Paths of a nested object whose value is `value` (to find which config field a variable sets). */
function pathsOf(obj: unknown, value: unknown, at = ""): string[] {
  if (obj === value) return [at];
  if (obj === null || typeof obj !== "object") return [];
  return Object.entries(obj).flatMap(([k, v]) => pathsOf(v, value, at ? `${at}.${k}` : k));
}

/** The service:port of every role and tool, as Prometheus and the others must name them. */
function servicePorts(): Map<string, number[]> {
  return new Map([...allServices()].map(([name, { service }]) => [name, published(service)]));
}

Deno.test("each role listens where compose publishes it and checks its health there", () => {
  for (const [role, variable] of Object.entries(ROLE_PORTS)) {
    const service = allServices().get(role)!.service;
    const env = containerEnv(service);
    const port = Number(env[variable]);
    assert.ok(port > 0, `${role} sets ${variable}`);
    assert.deepEqual(published(service), [port], `${role} publishes ${variable}=${port}`);
    assert.equal(healthcheckPort(service), port, `${role}'s healthcheck asks port ${port}`);
    assert.equal(env.HOST, "0.0.0.0", `${role} listens on every address of its container`);
  }
});

Deno.test("the ports in compose are src/config.ts's defaults, so a bare `deno task serve` matches", () => {
  for (const [role, variable] of Object.entries(ROLE_PORTS)) {
    const env = containerEnv(allServices().get(role)!.service);
    const port = Number(env[variable]);
    // Which config field does the variable set? Move it and see what moves.
    const field = pathsOf(loadConfig({ ...env, [variable]: "4321" }), 4321);
    assert.notEqual(field.length, 0, `src/config.ts does not read ${variable}`);
    assert.equal(field.length, 1, `${variable} sets one config field, not ${field.join(", ")}`);
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    const fallback = field[0].split(".").reduce(
      (o, k) => (o as Record<string, unknown>)[k],
      defaults as unknown,
    );
    assert.equal(
      fallback,
      port,
      `${variable}'s default (${fallback}) is what compose publishes (${port})`,
    );
  }
});

Deno.test("monitoring/prometheus.yml scrapes the roles on the ports compose publishes (when it exists)", () => {
  const prom = optionalYaml("monitoring/prometheus.yml") as
    | {
      scrape_configs?: { job_name: string; static_configs?: { targets: string[] }[] }[];
      alerting?: { alertmanagers?: { static_configs?: { targets: string[] }[] }[] };
      rule_files?: string[];
    }
    | undefined;
  const ports = servicePorts();
  if (!prom) {
    // Written by the monitoring issue (11): until then the roles' ports are checked against
    // src/config.ts above, and this test still proves the role services publish a port.
    assert.ok(ports.get("workhorse")!.length && ports.get("controltower")!.length);
    return;
  }
  const targets = (prom.scrape_configs ?? []).flatMap((j) =>
    (j.static_configs ?? []).flatMap((s) => s.targets)
  );
  const known = (t: string) => {
    const [host, port] = t.split(":");
    if (host === "localhost" || host === "127.0.0.1") {
      return Number(port) === ports.get("prometheus")![0];
    }
    return ports.get(host)?.includes(Number(port)) ?? false;
  };
  for (const t of targets) {
    assert.ok(known(t), `prometheus.yml scrapes ${t}, which no compose service publishes`);
  }
  for (const role of Object.keys(ROLE_PORTS)) {
    const want = `${role}:${ports.get(role)![0]}`;
    assert.ok(
      targets.includes(want),
      `prometheus.yml does not scrape ${want} (has ${targets.join(", ")})`,
    );
  }
  const alertmanagers = (prom.alerting?.alertmanagers ?? []).flatMap((a) =>
    (a.static_configs ?? []).flatMap((s) => s.targets)
  );
  assert.deepEqual(alertmanagers, [`alertmanager:${ports.get("alertmanager")![0]}`]);
  // Rule files are read relative to prometheus.yml, inside the monitoring/ folder compose mounts.
  for (const rule of prom.rule_files ?? []) {
    assert.ok(
      !rule.startsWith("/") && !rule.includes(".."),
      `rule file ${rule} is outside monitoring/`,
    );
  }
});

Deno.test("Loki, promtail and Grafana's data sources agree with compose's ports (when monitoring/ has them)", () => {
  const ports = servicePorts();
  const loki = optionalYaml("monitoring/loki.yml") as
    | { server?: { http_listen_port?: number } }
    | undefined;
  if (loki?.server?.http_listen_port !== undefined) {
    assert.equal(loki.server.http_listen_port, ports.get("loki")![0]);
  }
  const promtail = optionalYaml("monitoring/promtail.yml") as
    | { clients?: { url: string }[]; server?: { http_listen_port?: number } }
    | undefined;
  for (const c of promtail?.clients ?? []) {
    const u = new URL(c.url);
    assert.equal(
      `${u.hostname}:${u.port}`,
      `loki:${ports.get("loki")![0]}`,
      `promtail pushes to ${c.url}`,
    );
  }
  if (promtail?.server?.http_listen_port !== undefined) {
    assert.equal(promtail.server.http_listen_port, ports.get("promtail")![0]);
  }
  const dir = `${ROOT}monitoring/grafana/provisioning/datasources`;
  let files: string[] = [];
  try {
    files = [...Deno.readDirSync(dir)].filter((e) => /\.ya?ml$/.test(e.name)).map((e) => e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const f of files) {
    const doc = optionalYaml(`monitoring/grafana/provisioning/datasources/${f}`) as {
      datasources?: { type: string; url: string }[];
    };
    for (const ds of doc.datasources ?? []) {
      const u = new URL(ds.url);
      const service = ds.type === "loki" ? "loki" : ds.type === "prometheus" ? "prometheus" : "";
      if (!service) continue;
      assert.equal(
        `${u.hostname}:${u.port}`,
        `${service}:${ports.get(service)![0]}`,
        `${f}: ${ds.url}`,
      );
    }
  }
});

Deno.test("the nervous services read their configuration from the monitoring/ folder compose mounts", () => {
  const services = allServices();
  const files: Record<string, string> = {
    prometheus: "prometheus.yml",
    alertmanager: "alertmanager.yml",
    loki: "loki.yml",
    promtail: "promtail.yml",
  };
  for (const [name, file] of Object.entries(files)) {
    const s = services.get(name)!.service;
    assert.ok(
      s.volumes?.includes("../monitoring:/etc/reelrank/monitoring:ro"),
      `${name} mounts monitoring/`,
    );
    const cmd = Array.isArray(s.command) ? s.command.join(" ") : s.command ?? "";
    assert.match(
      cmd,
      new RegExp(`config\\.file=/etc/reelrank/monitoring/${file.replace(".", "\\.")}`),
    );
  }
  assert.ok(
    services.get("grafana")!.service.volumes?.includes(
      "../monitoring/grafana/provisioning:/etc/grafana/provisioning:ro",
    ),
  );
});
