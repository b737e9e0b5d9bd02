/** CI's secret scan (tests/secret_scan.ts) finds a planted secret in every form and fails without log lines. */
import assert from "node:assert/strict";
import { countLogLines, findSecrets, scan, secretForms } from "../secret_scan.ts";
import { TEST_SECRETS } from "../helpers/secrets.ts";

const PLANTED = { PLANTED: 'pl@nted/secret+value "42"' };
const logLine = (msg: string) => JSON.stringify({ level: "info", module: "m", msg });

Deno.test("findSecrets() finds a planted secret raw, URL-encoded and base64 at any alignment", () => {
  const secret = PLANTED.PLANTED;
  const lines = [
    logLine("nothing here"),
    `raw ${secret}`,
    logLine(`escaped ${secret}`),
    logLine(`https://api.example/?key=${encodeURIComponent(secret)}`),
    `authorization: Basic ${btoa(`user:${secret}`)}`,
    `authorization: Basic ${btoa(`bob:${secret}`)}`,
    `token=${btoa(secret)}`,
    `token=${btoa(`xx${secret}`).replaceAll("+", "-").replaceAll("/", "_")}`,
  ];
  const found = findSecrets(lines.join("\n"), PLANTED, { file: "out.log" });
  const byLine = new Map(found.map((f) => [f.line, f.form]));
  assert.equal(byLine.get(1), undefined);
  assert.equal(byLine.get(2), "raw");
  assert.equal(byLine.get(3), "json");
  assert.equal(byLine.get(4), "url");
  for (const line of [5, 6, 7]) assert.equal(byLine.get(line), "base64", `line ${line}`);
  assert.match(byLine.get(8) ?? "", /^base64/);
  assert.ok(found.every((f) => f.name === "PLANTED" && f.file === "out.log"));
});

Deno.test("findSecrets() does not flag text near a secret: another value, or the secret cut short", () => {
  const secret = PLANTED.PLANTED;
  const text = [
    logLine(secret.slice(0, -1)),
    btoa(secret.slice(0, 9)),
    encodeURIComponent(secret.slice(1)),
  ].join("\n");
  assert.deepEqual(findSecrets(text, PLANTED), []);
});

Deno.test("every test secret has a raw and at least one base64 form long enough to search", () => {
  for (const [name, value] of Object.entries(TEST_SECRETS)) {
    const forms = secretForms(value);
    assert.equal(forms[0].text, value, name);
    assert.ok(forms.filter((f) => f.form === "base64").length >= 3, name);
    assert.ok(forms.every((f) => f.text.length >= 8), name);
  }
  assert.equal(new Set(Object.values(TEST_SECRETS)).size, Object.keys(TEST_SECRETS).length);
});

Deno.test("countLogLines() counts only reelrank JSON log lines", () => {
  const text = [logLine("a"), "ok | 3 passed", "{not json", '{"level":"info"}', logLine("b")];
  assert.equal(countLogLines(text.join("\n")), 2);
});

Deno.test("scan() passes clean files, and fails with one line naming the secret, never its value", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = `${dir}/logs.jsonl`;
    const output = `${dir}/output.txt`;
    await Deno.writeTextFile(logs, [logLine("one"), logLine("two")].join("\n"));
    await Deno.writeTextFile(output, "ok | 2 passed | 0 failed\n");
    const clean = await scan(["--logs", logs, "--min-lines", "2", output], PLANTED);
    assert.deepEqual(clean.code, 0, clean.message);

    await Deno.writeTextFile(output, `Basic ${btoa(`admin:${PLANTED.PLANTED}`)}\n`, {
      append: true,
    });
    const leaked = await scan(["--logs", logs, "--min-lines", "2", output], PLANTED);
    assert.equal(leaked.code, 1);
    assert.equal(
      leaked.message,
      `secret scan: 1 test secret(s) found: PLANTED (base64) at ${output}:2`,
    );

    const few = await scan(["--logs", logs, "--min-lines", "3"], PLANTED);
    assert.equal(few.code, 1);
    assert.match(few.message, /holds 2 log lines, expected at least 3; was REELRANK_LOG_FILE set/);

    for (const args of [[], ["--logs", logs, "--min-lines", "many"], ["--bogus"]]) {
      const usage = await scan(args, PLANTED);
      assert.equal(usage.code, 2, args.join(" "));
      assert.ok(!usage.message.includes("\n"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the scan as a command exits 1 with one line on stderr when a test secret is logged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = `${dir}/logs.jsonl`;
    const secret = TEST_SECRETS.ADMIN_TOKEN;
    await Deno.writeTextFile(logs, logLine(`GET /?token=${encodeURIComponent(secret)}`) + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--cached-only",
        "--allow-read",
        new URL("../secret_scan.ts", import.meta.url).pathname,
        "--logs",
        logs,
        "--min-lines",
        "1",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.equal(stderr, `secret scan: 1 test secret(s) found: ADMIN_TOKEN (raw) at ${logs}:1\n`);
    assert.ok(!stderr.includes(secret));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
