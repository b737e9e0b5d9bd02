import assert from "node:assert/strict";
import { runCliProcess } from "../tracking/support.ts";

const cli = (name: string) => new URL(`../../../src/cli/${name}.ts`, import.meta.url).pathname;

async function expectOneLine(
  script: string,
  args: string[],
  want: { code: number; message: RegExp },
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCliProcess(cli(script), args, dir);
    assert.equal(r.code, want.code, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one readable line, got:\n${r.stderr}`);
    assert.match(lines[0], want.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("train with an unknown flag exits 2 with one line naming it", async () => {
  await expectOneLine("train", ["--epoch", "3"], { code: 2, message: /Unknown option '--epoch'/ });
});

Deno.test("train with a bad value exits 2 with one line naming the flag and the value", async () => {
  await expectOneLine("train", ["--dropout", "1.5"], {
    code: 2,
    message: /--dropout .* got "1\.5"/,
  });
});

Deno.test("train on an empty database exits 1 and says to ingest first", async () => {
  await expectOneLine("train", [], { code: 1, message: /deno task ingest/ });
});

Deno.test("evaluate without a production model exits 1 with what to do", async () => {
  await expectOneLine("evaluate", [], {
    code: 1,
    message: /no production version; train and promote/,
  });
});

Deno.test("recommend with a non-numeric user exits 2 with one line", async () => {
  await expectOneLine("recommend", ["--user", "alice"], {
    code: 2,
    message: /--user must be an integer/,
  });
});

Deno.test("drift on an empty database says what is missing and exits 0; a bad flag exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCliProcess(cli("drift"), [], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^data: not checked: no training snapshot to compare with/m);
    assert.match(r.stdout, /^recommendations: not checked: fewer than two batches$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await expectOneLine("drift", ["--min-sample", "0"], {
    code: 2,
    message: /--min-sample must be an integer ≥ 1, got "0"/,
  });
});

Deno.test("train --families with an unknown family, or --search without --families, exits 2 with one line", async () => {
  await expectOneLine("train", ["--families", "mlp,svd"], {
    code: 2,
    message: /--families: unknown family "svd", expected some of mlp, ease, itemknn/,
  });
  await expectOneLine("train", ["--search", "3"], {
    code: 2,
    message: /--search goes with --families/,
  });
});

Deno.test("simulate with a canary share outside (0, 1) or a bad shadow share exits 2 with one line", async () => {
  await expectOneLine("simulate", ["--share", "1.5"], {
    code: 2,
    message: /--share must be in \(0, 1\), got 1\.5/,
  });
  await expectOneLine("simulate", ["--shadow", "lots"], {
    code: 2,
    message: /--shadow must be a number in \[0, 1\], got "lots"/,
  });
});
