/** Grafana dashboards: current with their source, unique panel ids, data sources that exist, and only metrics the metrics module defines. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { createMetrics } from "../../../src/observability/metrics.ts";
import {
  allQueries,
  dashboardFiles,
  dashboardJson,
  family,
  metricNames,
  MONITORING,
} from "../../helpers/monitoring.ts";

/** Every family the server exports, with `up`, which Prometheus adds to every target. */
async function exported(): Promise<Set<string>> {
  const json = await createMetrics().registry.getMetricsAsJSON();
  return new Set(["up", ...json.map((m) => m.name)]);
}

Deno.test("the dashboard files are what monitoring/grafana/dashboards.ts generates", async () => {
  for (const { file, json } of await dashboardFiles()) {
    const uid = file.replace(/^.*\/(\w+)\.json$/, "$1");
    assert.deepEqual(
      json,
      dashboardJson(uid),
      `${file}: run deno run -A monitoring/grafana/dashboards.ts`,
    );
  }
});

Deno.test("the four dashboards have unique uids and unique panel ids, and show API, model, pipeline and data", async () => {
  const files = await dashboardFiles();
  assert.deepEqual(files.map((f) => f.json.uid).sort(), [
    "reelrank-api",
    "reelrank-data",
    "reelrank-model",
    "reelrank-pipeline",
  ]);
  for (const { file, json } of files) {
    const ids = json.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids ${ids}`);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0), file);
  }
});

Deno.test("every panel and target names a data source uid that the provisioning defines", async () => {
  const provisioned = parse(
    await Deno.readTextFile(`${MONITORING}grafana/provisioning/datasources/reelrank.yml`),
  ) as { datasources: { uid: string; type: string }[] };
  const uids = new Map(provisioned.datasources.map((d) => [d.uid, d.type]));
  assert.deepEqual([...uids.values()].sort(), ["loki", "prometheus"]);
  for (const { file, json } of await dashboardFiles()) {
    for (const p of json.panels) {
      for (const ds of [p.datasource, ...p.targets.map((t) => t.datasource)]) {
        assert.equal(uids.get(ds.uid), ds.type, `${file} "${p.title}": data source ${ds.uid}`);
      }
    }
  }
});

Deno.test("metricNames() finds the series a PromQL expression reads, and nothing else", () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (route, le) (rate(a_seconds_bucket{route!="/x"}[5m]))) > ' +
        "on (job, instance) group_left b_threshold or vector(0) unless c_total offset 1h * 2^30",
    ),
    ["a_seconds_bucket", "b_threshold", "c_total"],
  );
});

Deno.test("every metric the dashboards and alert rules read is defined in the metrics module", async () => {
  const known = await exported();
  const queries = (await allQueries()).filter((q) => q.lang === "promql");
  assert.ok(queries.length > 40, String(queries.length));
  for (const q of queries) {
    const names = metricNames(q.expr);
    assert.ok(names.length > 0, `${q.where}: reads no metric`);
    for (const name of names) {
      assert.ok(family(name, known), `${q.where}: ${name} is not in src/observability/metrics.ts`);
    }
  }
});

Deno.test("every reelrank metric is shown on a dashboard or watched by an alert", async () => {
  const known = await exported();
  const read = new Set(
    (await allQueries()).filter((q) => q.lang === "promql").flatMap((q) =>
      metricNames(q.expr).map((n) => family(n, known))
    ),
  );
  const unseen = [...known].filter((n) => n.startsWith("reelrank_") && !read.has(n));
  assert.deepEqual(unseen, []);
});
