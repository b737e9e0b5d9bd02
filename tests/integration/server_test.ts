/** The server on a real socket: the worker-held model under concurrent requests, and `serve` stopping on Ctrl-C. */
import assert from "node:assert/strict";
import { startServer } from "../../src/api/server.ts";
import { openDatabase } from "../../src/db/open.ts";
import { dbTest } from "../helpers/db.ts";
import { ADMIN_TOKEN, servingFixture } from "../helpers/serving.ts";

dbTest(
  "a real socket serves concurrent visitors from the worker-held model and shuts down cleanly",
  async (db) => {
    const f = await servingFixture(db);
    await f.close();
    const server = await startServer(f.ctx, {
      port: 0,
      host: "127.0.0.1",
      adminToken: ADMIN_TOKEN,
      pollMs: 0,
    });
    try {
      const health = await fetch(`${server.url}/health`);
      assert.deepEqual(await health.json(), { status: "ok" });
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          fetch(`${server.url}/api/v1/recommendations`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ history: [1 + i, 2 + i, 3 + i], k: 3 }),
          }).then((r) => r.json())),
      );
      for (const a of answers) {
        assert.equal(a.strategy, "model");
        assert.equal(a.items.length, 3);
      }
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /reelrank_inference_batch_histories_sum 24/);
    } finally {
      await server.shutdown();
    }
    await assert.rejects(fetch(`${server.url}/health`));
  },
);

Deno.test("deno task serve prints its URLs and the admin token once, and Ctrl-C releases the data folder", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../src/cli/serve.ts", import.meta.url).pathname,
        "--port",
        "0",
      ],
      env: { REELRANK_DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = /on (http:\/\/[0-9.:]+)/.exec(out)?.[1];
    assert.ok(url, out);
    assert.match(out, /API docs +http:\/\/.*\/docs/);
    assert.match(out, /site +http:\/\/[0-9.:]+\/ /);
    const token = (await Deno.readTextFile(`${dataDir}/admin_token`)).trim();
    assert.match(out, new RegExp(`admin token ${token}`));
    assert.equal((await Deno.stat(`${dataDir}/admin_token`)).mode! & 0o777, 0o600);
    const home = await fetch(`${url}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Movies for a visitor.*No movies are stored yet/s);
    const ready = await fetch(`${url}/ready`);
    assert.equal(ready.status, 503);
    assert.match((await ready.json()).reason, /no production model/);
    child.kill("SIGINT");
    const status = await child.status;
    await reader.cancel();
    const err = await new Response(child.stderr).text();
    assert.equal(status.code, 0, err);
    const db = await openDatabase({ dataDir });
    await db.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// One HTTP/1.1 request on a connection of its own (fetch would reuse a kept-alive one).
async function getOnNewConnection(port: number, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      ),
    );
    return await new Response(conn.readable).text();
  } catch (err) {
    conn.close();
    throw err;
  }
}

dbTest(
  `REELRANK_REUSE_PORT: two servers listen on one port and the kernel spreads connections over both${
    Deno.build.os === "linux" ? "" : " (skipped: SO_REUSEPORT balancing is Linux's)"
  }`,
  async (db) => {
    const f = await servingFixture(db);
    await f.close();
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const options = { port, host: "127.0.0.1", adminToken: ADMIN_TOKEN, pollMs: 0 };
    const a = await startServer(f.ctx, { ...options, reusePort: true });
    try {
      // Without the option the port is taken.
      await assert.rejects(() => startServer(f.ctx, options), /in use|AddrInUse/i);
      const b = await startServer(f.ctx, { ...options, reusePort: true });
      try {
        for (let i = 0; i < 40; i++) {
          assert.match(await getOnNewConnection(port, "/health"), /"status":"ok"/);
        }
        const served = async (s: typeof a) => {
          const { values } = await s.metrics.httpRequests.get();
          return values.filter((v) => v.labels.route === "/health")
            .reduce((n, v) => n + v.value, 0);
        };
        const [na, nb] = [await served(a), await served(b)];
        assert.equal(na + nb, 40);
        assert.ok(na > 0 && nb > 0, `connections went ${na} / ${nb}: one server took them all`);
      } finally {
        await b.shutdown();
      }
    } finally {
      await a.shutdown();
    }
  },
  { ignore: Deno.build.os !== "linux" },
);
