/**
 * The real Prometheus from Debian scrapes a reelrank server whose pipeline engine ran the
 * `recommend` DAG (one run failed, one ingested, snapshotted, trained and published), that trained
 * more versions, served traffic and checked drift; every PromQL expression of the dashboards and the
 * alert rules must parse and return data. /metrics itself must pass `promtool check metrics`.
 */
import assert from "node:assert/strict";
import { backends, withDatabase } from "../helpers/db.ts";
import { allQueries, MONITORING } from "../helpers/monitoring.ts";
import { observedServer } from "../helpers/observed_server.ts";
import { programTest, run, which } from "../helpers/programs.ts";

/** A port nothing listens on (yet). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * An alert's signal without its final threshold (`up == 0` → `up`): an alert expression returns
 * data only while it fires, its left-hand side always.
 */
export function signal(expr: string): string {
  const m = /^([\s\S]*\S)\s*(?:>|<|==|!=|>=|<=)\s*[\d.\s*]+$/.exec(expr.trim());
  return m ? m[1] : expr;
}

/** Prometheus' HTTP API: an instant query's status and result. */
async function query(base: string, expr: string) {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return await res.json() as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
}

Deno.test("signal() drops an alert's final threshold and keeps everything else", () => {
  assert.equal(signal('up{job="w"} == 0'), 'up{job="w"}');
  assert.equal(signal("time() - max(x) > 26 * 3600"), "time() - max(x)");
  assert.equal(
    signal("(a unless b) or time() - max(x) > 26 * 3600"),
    "(a unless b) or time() - max(x)",
  );
  assert.equal(
    signal("max by (f) (a > on (j) group_left b)"),
    "max by (f) (a > on (j) group_left b)",
  );
});

programTest(
  "Prometheus scraping a served reelrank answers every dashboard and alert expression with data",
  { program: "prometheus", pkg: "prometheus" },
  (prometheus) =>
    withDatabase(backends().at(-1)!, async (db) => {
      const server = await observedServer(db);
      const dir = await Deno.makeTempDir({ prefix: "reelrank-prometheus-" });
      let child: Deno.ChildProcess | undefined;
      try {
        const promtool = which("promtool");
        if (promtool) {
          const body = await (await fetch(`${server.url}/metrics`)).text();
          const out = await run(promtool, ["check", "metrics"], { stdin: body });
          assert.equal(out.code, 0, `promtool check metrics:\n${out.stdout}${out.stderr}`);
          assert.match(
            body,
            /^reelrank_ingest_rows_total\{source="movielens",table="interactions",outcome="rejected"\} 2$/m,
          );
          for (const status of ["success", "failed"]) {
            assert.match(
              body,
              new RegExp(
                `^reelrank_pipeline_runs_total\\{dag="recommend",trigger="manual",status="${status}"\\} 1$`,
                "m",
              ),
            );
          }
        }
        const port = freePort();
        const host = new URL(server.url).host;
        // The workhorse runs the engine here (as `deno task start` does); the controltower's port
        // answers nothing, so its `up` is 0.
        await Deno.writeTextFile(
          `${dir}/prometheus.yml`,
          `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["${MONITORING}alerts.yml"]
scrape_configs:
  - { job_name: prometheus, static_configs: [{ targets: ["127.0.0.1:${port}"] }] }
  - { job_name: workhorse, static_configs: [{ targets: ["${host}"] }] }
  - { job_name: controltower, static_configs: [{ targets: ["127.0.0.1:${freePort()}"] }] }
`,
        );
        child = new Deno.Command(prometheus, {
          args: [
            `--config.file=${dir}/prometheus.yml`,
            `--storage.tsdb.path=${dir}/data`,
            `--web.listen-address=127.0.0.1:${port}`,
          ],
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const base = `http://127.0.0.1:${port}`;
        // Scraping takes wall-clock time: poll (bounded) until rate() has three samples to use.
        const deadline = Date.now() + 60_000;
        for (;;) {
          const r = await query(base, 'count_over_time(up{job="workhorse"}[5m]) >= 4').catch(
            () => null,
          );
          if (r?.data?.result.length) break;
          if (Date.now() > deadline) {
            throw new Error("Prometheus scraped the server fewer than 4 times in 60 s");
          }
          await new Promise((res) => setTimeout(res, 500));
        }

        const rules = await (await fetch(`${base}/api/v1/rules`)).json();
        const loaded = rules.data.groups.flatMap((
          g: { rules: { name: string; health: string }[] },
        ) => g.rules);
        assert.ok(loaded.length >= 9);
        for (const r of loaded) assert.equal(r.health, "ok", `${r.name} did not evaluate`);

        const queries = (await allQueries()).filter((q) => q.lang === "promql");
        for (const q of queries) {
          const expr = q.where.startsWith("alerts.yml") ? signal(q.expr) : q.expr;
          const full = await query(base, q.expr);
          assert.equal(full.status, "success", `${q.where}: ${full.error}`);
          const answer = await query(base, expr);
          assert.equal(answer.status, "success", `${q.where}: ${answer.error}`);
          assert.ok(answer.data!.result.length > 0, `${q.where}: no data for ${expr}`);
        }
        assert.ok(queries.length >= 40, `only ${queries.length} PromQL expressions`);
      } finally {
        if (child) {
          child.kill("SIGTERM");
          await child.stderr.cancel();
          await child.status;
        }
        await server.close();
        await Deno.remove(dir, { recursive: true });
      }
    }),
);
