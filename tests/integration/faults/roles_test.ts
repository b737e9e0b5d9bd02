/** The roles as separate processes: two `deno task serve` and one `deno task scheduler` on one PostgreSQL and one S3 bucket; a pipeline run and a promotion through one server's API reach both servers without a restart. */
import assert from "node:assert/strict";
import { MODEL_NAME } from "../../../src/registry/store.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { pollUntil, processTest, type ServeProcess } from "./cli.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { type SchedulerProcess, startScheduler, startServers, startStores } from "./stores.ts";

const skip = ownedPostgresSkipReason();

async function servedVersion(server: ServeProcess, user: number): Promise<number | null> {
  const res = await fetch(`${server.url}/api/v1/users/${user}/recommendations?k=5`);
  const body = await res.json();
  if (res.status !== 200) {
    throw new Error(`${server.url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.modelVersion;
}

/** The process group of `pid` (/proc/PID/stat's fifth field): each role runs in its own. */
async function processGroup(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

// The run's data and model: virtual users over the seeded catalogue, a tiny MLP beside EASE and
// ItemKNN, so the whole DAG takes seconds.
const RUN_PARAMS = {
  source: "synthetic",
  users: 30,
  "movies-per-user": 15,
  dim: 16,
  hidden: "32",
  projection: 0,
  batch: 64,
  negatives: 64,
  members: 1,
  "average-top": 1,
  epochs: 2,
  patience: 2,
  k: 5,
};

processTest(
  "two serve processes and a scheduler on PostgreSQL and an S3 bucket: a run started through one server's API trains and promotes a model both servers then serve, and a promotion through the admin API reaches both, without a restart",
  skip,
  async () => {
    const stores = await startStores({ store: "s3" });
    let servers: ServeProcess[] = [];
    let scheduler: SchedulerProcess | undefined;
    try {
      await seedCatalog(stores.db);
      [servers, scheduler] = await Promise.all([
        startServers(stores, 2),
        startScheduler(stores),
      ]);
      const [a, b] = servers;
      for (const s of servers) assert.equal(await servedVersion(s, 3), null);
      assert.equal((await fetch(`${scheduler.url}/health`)).status, 200);

      // A run through server A's API; runs started through a server's API execute in that server.
      const admin = { authorization: `Bearer ${stores.token}`, "content-type": "application/json" };
      const started = await fetch(`${a.url}/api/v1/pipeline/runs`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ params: RUN_PARAMS }),
      });
      assert.equal(started.status, 202, await started.clone().text());
      const { id } = await started.json();
      // The database admits one active run per DAG across processes: B refuses a second.
      const second = await fetch(`${b.url}/api/v1/pipeline/runs`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ params: RUN_PARAMS }),
      });
      assert.equal(second.status, 409, await second.clone().text());
      await second.body?.cancel();
      // Server B follows it in the shared database.
      const run = await pollUntil(
        `run ${id} to end`,
        async () => {
          const r = await (await fetch(`${b.url}/api/v1/pipeline/runs/${id}?logs=none`)).json();
          return r.status === "queued" || r.status === "running" ? undefined : r;
        },
        240_000,
      );
      assert.equal(run.status, "success", JSON.stringify(run.statusReason));
      assert.equal(await processGroup(run.pid), a.command.pid, "server A executed the run");
      const result = (task: string) =>
        run.tasks.find((t: { taskId: string }) => t.taskId === task).result;
      assert.ok(result("ingest").interactions > 0);
      assert.equal(result("promote").promoted, true, result("promote").reason);
      const v1 = result("register").version;
      // The artifact is in the bucket, and both servers switch to the version without a restart.
      const registry = new SqlModelRegistry(stores.db, { objects: stores.objects });
      const { bytes } = await registry.loadArtifact(MODEL_NAME, v1);
      for (const s of servers) {
        await pollUntil(
          `${s.url} to serve version ${v1}`,
          async () => (await servedVersion(s, 4)) === v1 || undefined,
        );
      }

      // Version 2 in the bucket (the same weights under a new number), promoted through server A.
      const v2 = (await registry.registerVersion(MODEL_NAME, { artifact: bytes })).version;
      const res = await fetch(`${a.url}/api/v1/models/${v2}/promote`, {
        method: "POST",
        headers: { authorization: `Bearer ${stores.token}` },
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).serving, v2, "server A switched before answering");
      assert.equal(await servedVersion(a, 4), v2);
      // Server B hears it through PostgreSQL's NOTIFY (or its 5 s poll).
      await pollUntil(
        "server B to serve version 2",
        async () => (await servedVersion(b, 4)) === v2 || undefined,
      );
      for (const s of servers) {
        const ready = await fetch(`${s.url}/ready`);
        assert.deepEqual(await ready.json(), { status: "ready", modelVersion: v2 });
      }
      // The scheduler is still up, and executed nothing (its cron did not fire).
      assert.equal((await fetch(`${scheduler.url}/health`)).status, 200);
      const [{ n }] = await stores.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pipeline_runs",
      );
      assert.equal(n, 1);
    } finally {
      for (const s of servers) await s.stop();
      await scheduler?.stop();
      await stores.close();
    }
  },
);
