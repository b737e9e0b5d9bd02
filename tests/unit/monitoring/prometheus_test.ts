/** monitoring/: the Prometheus config and alert rules pass promtool, every alert is proven to fire and to stay silent, Alertmanager's config passes amtool. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { programTest, run } from "../../helpers/programs.ts";

const DIR = new URL("../../../monitoring/", import.meta.url).pathname;
const PROMTOOL = { program: "promtool", pkg: "prometheus" };

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

/** Every alert rule in monitoring/alerts.yml. */
export async function alertRules(): Promise<{ alert: string; expr: string }[]> {
  const rules = parse(await Deno.readTextFile(`${DIR}alerts.yml`)) as RuleFile;
  return rules.groups.flatMap((g) => g.rules).filter((r) => r.alert) as {
    alert: string;
    expr: string;
  }[];
}

programTest(
  "promtool accepts monitoring/prometheus.yml and the rule file it names",
  PROMTOOL,
  async (promtool) => {
    const out = await run(promtool, ["check", "config", "prometheus.yml"], { cwd: DIR });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /SUCCESS: 1 rule files found/);
  },
);

programTest("promtool accepts every rule in monitoring/alerts.yml", PROMTOOL, async (promtool) => {
  const out = await run(promtool, ["check", "rules", "alerts.yml"], { cwd: DIR });
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(out.stdout, new RegExp(`SUCCESS: ${(await alertRules()).length} rules found`));
});

programTest(
  "promtool's rule tests pass: each alert fires on its bad series and not on a healthy one",
  PROMTOOL,
  async (promtool) => {
    const out = await run(promtool, ["test", "rules", "alerts_test.yml"], { cwd: DIR });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /SUCCESS/);
  },
);

Deno.test("every alert has a rule test where it fires and one where it stays silent", async () => {
  const alerts = (await alertRules()).map((r) => r.alert);
  for (
    const required of [
      "ReelrankApiDown",
      "ReelrankHighErrorRatio",
      "ReelrankHighLatencyP99",
      "ReelrankPipelineRunFailed",
      "ReelrankNoSuccessfulRun",
      "ReelrankModelStale",
      "ReelrankModelLoadFailures",
      "ReelrankDriftHigh",
    ]
  ) assert.ok(alerts.includes(required), `alerts.yml has no ${required}`);
  const tests = parse(await Deno.readTextFile(`${DIR}alerts_test.yml`)) as RuleTests;
  assert.deepEqual(tests.rule_files, ["alerts.yml"]);
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} is never shown firing`);
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `${alert} is never shown silent`,
    );
  }
});

programTest(
  "amtool accepts monitoring/alertmanager.yml",
  { program: "amtool", pkg: "prometheus-alertmanager" },
  async (amtool) => {
    const out = await run(amtool, ["check-config", "alertmanager.yml"], { cwd: DIR });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /SUCCESS/);
  },
);
