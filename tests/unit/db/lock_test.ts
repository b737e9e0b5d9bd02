/** The data-folder lock: one holder at a time, the holder named, released when its process dies. */
import assert from "node:assert/strict";
import { acquireFolderLock } from "../../../src/db/lock.ts";
import { ReelrankError } from "../../../src/errors.ts";

const LOCK_MODULE = new URL("../../../src/db/lock.ts", import.meta.url).href;

function isConflict(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ReelrankError);
    assert.equal(err.code, "CONFLICT");
    assert.match(err.message, pattern);
    return true;
  };
}

Deno.test("acquireFolderLock() refuses a second holder in the same process and names the first", async () => {
  const dir = await Deno.makeTempDir();
  const first = acquireFolderLock(`${dir}/x.lock`);
  try {
    assert.throws(
      () => acquireFolderLock(`${dir}/x.lock`, { what: "the test folder" }),
      isConflict(new RegExp(`the test folder is in use by process ${Deno.pid} .*set DATABASE_URL`)),
    );
  } finally {
    first.release();
  }
  const again = acquireFolderLock(`${dir}/x.lock`);
  again.release();
  again.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("acquireFolderLock() is refused while another process holds it and free once that process is killed", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/x.lock`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { acquireFolderLock } from ${JSON.stringify(LOCK_MODULE)};
       acquireFolderLock(${JSON.stringify(path)});
       console.log("locked");
       for await (const _ of Deno.stdin.readable) { /* hold until killed */ }`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    assert.equal(value?.trim(), "locked");
    reader.releaseLock();
    assert.throws(
      () => acquireFolderLock(path),
      isConflict(new RegExp(`in use by process ${child.pid} `)),
    );
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdin.close().catch(() => {});
    await child.stdout.cancel().catch(() => {});
  }
  // The file is still there, written by a dead process: the kernel dropped its lock.
  assert.match(await Deno.readTextFile(path), /"pid"/);
  const lock = acquireFolderLock(path);
  lock.release();
  await Deno.remove(dir, { recursive: true });
});
