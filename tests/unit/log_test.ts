import assert from "node:assert/strict";
import { configureLogging, getLogger } from "../../src/log.ts";

Deno.test("log lines are JSON with level, module and ids, and never carry a secret", () => {
  const lines: string[] = [];
  configureLogging({ level: "info", secrets: ["s3cr3t-token"], write: (l) => lines.push(l) });
  try {
    const log = getLogger("test/module").child({ run_id: "r1" });
    log.debug("hidden below the level");
    log.info("calling https://api?api_key=s3cr3t-token", { api_key: "anything", movies: 3 });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, "info");
    assert.equal(line.module, "test/module");
    assert.equal(line.run_id, "r1");
    assert.equal(line.movies, 3);
    assert.equal(line.api_key, "***");
    assert.ok(!lines[0].includes("s3cr3t-token"));
    assert.ok(typeof line.time === "string" && !Number.isNaN(Date.parse(line.time)));
  } finally {
    configureLogging({ level: "warn", secrets: [], write: (l) => console.error(l) });
  }
});
