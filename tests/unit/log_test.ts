import assert from "node:assert/strict";
import { logCaptureFile } from "../../src/config.ts";
import { configureLogging, getLogger } from "../../src/log.ts";
import { LOGGED_SECRET } from "../helpers/secrets.ts";

Deno.test("log lines are JSON with level, module and ids, and never carry a secret", () => {
  const lines: string[] = [];
  configureLogging({ level: "info", secrets: [LOGGED_SECRET], write: (l) => lines.push(l) });
  try {
    const log = getLogger("test/module").child({ run_id: "r1" });
    log.debug("hidden below the level");
    log.info(`calling https://api?api_key=${LOGGED_SECRET}`, { api_key: "anything", movies: 3 });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, "info");
    assert.equal(line.module, "test/module");
    assert.equal(line.run_id, "r1");
    assert.equal(line.movies, 3);
    assert.equal(line.api_key, "***");
    assert.ok(!lines[0].includes(LOGGED_SECRET));
    assert.ok(typeof line.time === "string" && !Number.isNaN(Date.parse(line.time)));
  } finally {
    configureLogging({ level: "warn", secrets: [], write: (l) => console.error(l) });
  }
});

Deno.test("with a capture file (REELRANK_LOG_FILE) every line is appended, scrubbed, whatever the level", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/lines.jsonl`;
  const written: string[] = [];
  configureLogging({
    level: "silent",
    secrets: [LOGGED_SECRET],
    write: (l) => written.push(l),
    capture: file,
  });
  try {
    const log = getLogger("test/capture");
    log.debug("a debug line");
    log.error(`failed with ${LOGGED_SECRET}`, { token: LOGGED_SECRET });
    configureLogging({ level: "error" });
    log.error("shown and captured");
    const captured = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.deepEqual(
      captured.map((l) => JSON.parse(l).msg),
      ["a debug line", "failed with ***", "shown and captured"],
    );
    assert.deepEqual(captured.map((l) => JSON.parse(l).level), ["debug", "error", "error"]);
    assert.ok(!captured.join("\n").includes(LOGGED_SECRET));
    assert.deepEqual(written, [captured[2]]);
    // A file that cannot be written turns the capture off instead of failing the caller.
    configureLogging({ capture: `${dir}/no/such/folder/lines.jsonl` });
    log.error("not captured");
    log.error("still written");
    assert.equal(written.length, 3);
  } finally {
    configureLogging({
      level: "warn",
      secrets: [],
      write: (l) => console.error(l),
      capture: logCaptureFile() ?? null,
    });
    await Deno.remove(dir, { recursive: true });
  }
});
