/** Test support for tracking and registry tests: a fake clock and an in-memory object store. */
import { notFound } from "../../../src/errors.ts";
import type { ObjectInfo, ObjectStore, PutResult } from "../../../src/storage/object_store.ts";
import { sha256Hex } from "../../../src/digest.ts";

/** A clock that moves only when told. */
export function fakeClock(start = "2026-01-01T00:00:00.000Z") {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** An ObjectStore in a Map; `objects` is exposed so tests can alter stored bytes. */
export class MemoryObjectStore implements ObjectStore {
  readonly url = "memory://test";
  readonly objects = new Map<string, { bytes: Uint8Array; at: Date }>();

  close(): void {}

  async put(key: string, body: Uint8Array | ReadableStream<Uint8Array>): Promise<PutResult> {
    const bytes = body instanceof Uint8Array
      ? body.slice()
      : new Uint8Array(await new Response(body).arrayBuffer());
    this.objects.set(key, { bytes, at: new Date() });
    return { key, size: bytes.length, sha256: await sha256Hex(bytes) };
  }
  get(key: string): Promise<Uint8Array> {
    const o = this.objects.get(key);
    if (!o) return Promise.reject(notFound(`object "${key}" does not exist`));
    return Promise.resolve(o.bytes.slice());
  }
  async getStream(key: string): Promise<ReadableStream<Uint8Array>> {
    const bytes = await this.get(key);
    return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  }
  head(key: string): Promise<ObjectInfo | null> {
    const o = this.objects.get(key);
    return Promise.resolve(o ? { key, size: o.bytes.length, lastModified: o.at } : null);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    return Promise.resolve(
      keys.map((key) => ({
        key,
        size: this.objects.get(key)!.bytes.length,
        lastModified: this.objects.get(key)!.at,
      })),
    );
  }
  delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }
}

/** What a CLI subprocess printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno run -A <script> ...args` on an embedded database in `dataDir` (DATABASE_URL cleared,
 * so the subprocess never touches a shared PostgreSQL).
 */
export async function runCliProcess(
  script: string,
  args: string[],
  dataDir: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: {
      REELRANK_DATA_DIR: dataDir,
      DATABASE_URL: "",
      OBJECT_STORE_URL: `file://${dataDir}/objects`,
      LOG_LEVEL: "error",
      NO_COLOR: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
