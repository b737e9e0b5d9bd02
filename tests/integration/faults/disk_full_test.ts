/** The object store's disk fills up (a small tmpfs) while a checkpoint or a snapshot is written: a clear error, nothing partial visible, and the next run succeeds once space is back. */
import assert from "node:assert/strict";
import { TEMP_PREFIX } from "../../../src/storage/keys.ts";
import { seedCatalog } from "../../helpers/serving.ts";
import { processTest, runDeno, trainArgs } from "./cli.ts";
import { writeMovieLensFolder } from "./movielens_folder.ts";
import { ownedPostgresSkipReason } from "./owned_postgres.ts";
import { checkRegistry } from "./registry_check.ts";
import { startStores } from "./stores.ts";

/** Mounts a tmpfs of `size` bytes, or says why it cannot (the test then skips). */
async function mountTmpfs(
  size: number,
): Promise<{ dir: string; unmount(): Promise<void> } | string> {
  if (Deno.uid() !== 0) return "mounting a tmpfs needs root";
  const dir = await Deno.makeTempDir({ prefix: "reelrank-full-" });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    await Deno.remove(dir);
    return `mount -t tmpfs failed: ${new TextDecoder().decode(out.stderr).trim()}`;
  }
  return {
    dir,
    async unmount() {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir);
    },
  };
}

/** Fills the file system holding `dir` with a filler file, then frees `leave` bytes of it. */
async function fillUp(dir: string, leave: number): Promise<string> {
  const path = `${dir}/filler`;
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  let size = 0;
  try {
    for (;;) size += await file.write(chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  } finally {
    file.close();
  }
  await Deno.truncate(path, Math.max(0, size - leave));
  return path;
}

/** Every file under `dir` (relative paths), to find temp or partial files. */
function files(dir: string, rel = ""): string[] {
  return [...Deno.readDirSync(`${dir}${rel}`)].flatMap((e) =>
    e.isDirectory ? files(dir, `${rel}/${e.name}`) : [`${rel}/${e.name}`]
  );
}

const probe = await mountTmpfs(1 << 20);
const skip = typeof probe === "string" ? probe : ownedPostgresSkipReason();
if (typeof probe !== "string") await probe.unmount();

const TRAIN = trainArgs();

/** PostgreSQL and a folder store on a 1 MiB tmpfs. */
async function setup() {
  const disk = await mountTmpfs(1 << 20) as Exclude<Awaited<ReturnType<typeof mountTmpfs>>, string>;
  const stores = await startStores({ store: "file", objectsDir: `${disk.dir}/objects` });
  return {
    ...stores,
    disk,
    async close() {
      await stores.close();
      await disk.unmount();
    },
  };
}

processTest(
  "a full disk while a training run writes its checkpoint: one clear line, the run recorded failed, no partial file, and the next run succeeds once space is freed",
  skip,
  async () => {
    const t = await setup();
    try {
      await seedCatalog(t.db);
      const first = await runDeno(TRAIN, t.env);
      assert.equal(first.code, 0, first.output);
      const before = await checkRegistry(t.db, t.objects);
      const filesBefore = files(`${t.disk.dir}/objects`).sort();
      const checkpoint = Deno.statSync(`${t.disk.dir}/objects${
        filesBefore.find((f) => f.endsWith(".rrck"))
      }`).size;

      // Less room than one checkpoint.
      const filler = await fillUp(t.disk.dir, checkpoint >> 1);
      const second = await runDeno(TRAIN, t.env);
      assert.equal(second.code, 1, second.output);
      assert.match(
        second.output,
        /^error: no space left on the disk of file:\/\/.* writing object "runs\/.*" \(after \d+ bytes\); free some space and run again$/m,
      );
      const [run] = await t.db.query<{ status: string; status_reason: string }>(
        "SELECT status, status_reason FROM runs ORDER BY start_time DESC LIMIT 1",
      );
      assert.equal(run.status, "failed");
      assert.match(run.status_reason, /no space left/);
      assert.deepEqual(
        await checkRegistry(t.db, t.objects),
        before,
        "no version, production unchanged",
      );
      const after = files(`${t.disk.dir}/objects`);
      assert.ok(!after.some((f) => f.includes(TEMP_PREFIX)), `a temp file is left: ${after}`);
      for (const f of after) {
        assert.ok(
          filesBefore.includes(f) || !f.endsWith(".rrck"),
          `a partial checkpoint is visible: ${f}`,
        );
      }

      await Deno.remove(filler);
      const third = await runDeno(TRAIN, t.env);
      assert.equal(third.code, 0, third.output);
      assert.match(third.output, /registered version 2: /);
    } finally {
      await t.close();
    }
  },
);

processTest(
  "a full disk in the middle of a snapshot: ingest fails with one line, its run is recorded failed, no snapshot is recorded or listed, no partial part, and the next ingest writes it",
  skip,
  async () => {
    const t = await setup();
    const folder = await writeMovieLensFolder();
    try {
      const filler = await fillUp(t.disk.dir, 8 * 1024);
      const ingest = ["task", "ingest", "--source", "movielens", "--path", folder];
      const first = await runDeno(ingest, t.env);
      assert.equal(first.code, 1, first.output);
      assert.match(
        first.output,
        /^error: no space left on the disk of file:\/\/.* writing object "snapshots\/parts\/.*\(the snapshot of ingest run \d+, recorded failed; its rows are stored, and ingesting again writes the snapshot\)$/m,
      );
      const runs = () =>
        t.db.query<{ status: string; error: string | null }>(
          "SELECT status, error FROM ingest_runs ORDER BY id",
        );
      const [failed] = await runs();
      assert.equal(failed.status, "failed");
      assert.match(failed.error ?? "", /^snapshot failed: no space left on the disk/);
      const left = (() => {
        try {
          return files(`${t.disk.dir}/objects`);
        } catch {
          return [];
        }
      })();
      assert.ok(!left.some((f) => f.includes(TEMP_PREFIX)), `a temp file is left: ${left}`);
      assert.ok(!left.some((f) => f.includes("/manifests/")), "no manifest: no snapshot visible");
      // Every part that is there is whole: it is gzip that decompresses.
      for (const f of left) {
        const bytes = await Deno.readFile(`${t.disk.dir}/objects${f}`);
        await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")))
          .arrayBuffer();
      }
      const [{ n }] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots");
      assert.equal(n, 0);

      await Deno.remove(filler);
      const again = await runDeno(ingest, t.env);
      assert.equal(again.code, 0, again.output);
      assert.deepEqual((await runs()).map((r) => r.status), ["failed", "succeeded"]);
      const [{ m }] = await t.db.query<{ m: number }>("SELECT count(*)::int AS m FROM snapshots");
      assert.equal(m, 1);
    } finally {
      await t.close();
      await Deno.remove(folder, { recursive: true });
    }
  },
);
