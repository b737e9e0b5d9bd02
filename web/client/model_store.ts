/**
 * The downloads of in-browser ranking, kept in Cache Storage: the production pointer, the model's
 * artifact and the catalogue. Every file is checked against the sha256 the pointer names before
 * it is used (a damaged copy is dropped and downloaded again); older versions are removed.
 */
import { sha256Hex } from "../../src/digest.ts";
import { browserFamilyProblem } from "../../src/serving/browser_families.ts";

/** The Cache Storage bucket of this site's model files. */
export const CACHE_NAME = "reelrank-model";
/** What the server serves now (GET /api/v1/models/production). */
export const POINTER_URL = "/api/v1/models/production";

/** The pointer's answer (see src/api/routes/browser_model.ts). */
export interface Pointer {
  version: number;
  /** mlp, ease or itemknn (absent from servers older than families: an MLP). */
  family?: string;
  sha256: string;
  size: number;
  gzipSize: number | null;
  /** Null when the server does not offer the artifact (a family pages cannot rank with). */
  artifactUrl: string | null;
  catalog: { sha256: string; size: number; gzipSize: number; url: string };
}

/** The production model cannot rank in this page (its family): the visitor's movies rank on the server. */
export class ServerOnlyModel extends Error {}

/**
 * Why this page cannot rank with the pointer's model, or null when it can: decided on the pointer
 * alone, before the ranker's script, the kernel or the artifact is downloaded.
 */
export function browserModelProblem(p: Pick<Pointer, "family" | "artifactUrl">): string | null {
  return browserFamilyProblem(p.family ?? null) ??
    (p.artifactUrl ? null : "the server does not offer its model for download");
}

/** The pointer, or ServerOnlyModel when this page cannot rank with its model. */
export async function fetchUsablePointer(): Promise<Pointer & { artifactUrl: string }> {
  const pointer = await fetchPointer();
  const problem = browserModelProblem(pointer);
  if (problem) throw new ServerOnlyModel(problem);
  return pointer as Pointer & { artifactUrl: string };
}

// Keeping a copy is best effort: a full or private-mode store only means downloading again.
async function store(cache: Cache, url: string, res: Response): Promise<void> {
  try {
    await cache.put(url, res);
  } catch {
    // nothing kept
  }
}

/**
 * The server's pointer, asked afresh (it carries nothing about the visitor). Offline, the last
 * one stored is used, so a cached model keeps working.
 */
export async function fetchPointer(): Promise<Pointer> {
  const cache = await caches.open(CACHE_NAME);
  let res: Response;
  try {
    res = await fetch(POINTER_URL, { cache: "no-store", headers: { accept: "application/json" } });
  } catch (err) {
    const stored = await cache.match(POINTER_URL);
    if (stored) return await stored.json();
    throw err;
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${POINTER_URL}: ${res.status}`);
  await store(cache, POINTER_URL, Response.json(body));
  return body as Pointer;
}

/**
 * The bytes at `url` whose sha256 must be `sha256`: from Cache Storage when a stored copy matches,
 * else downloaded (gzip on the wire), checked, then stored. A mismatch throws: nothing unverified
 * is ever used.
 */
export async function verifiedBytes(url: string, sha256: string): Promise<Uint8Array> {
  const cache = await caches.open(CACHE_NAME);
  const hit = await cache.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (await sha256Hex(bytes) === sha256) return bytes;
    await cache.delete(url);
  }
  // Cache Storage is the one copy: the HTTP cache need not keep a second.
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`${url}: the server answered ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got = await sha256Hex(bytes);
  if (got !== sha256) {
    throw new Error(
      `${url} arrived damaged (sha256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`,
    );
  }
  await store(cache, url, new Response(bytes as Uint8Array<ArrayBuffer>));
  return bytes;
}

/** Removes stored files other than the pointer and `keep` (a replaced version's artifact). */
export async function pruneExcept(keep: readonly string[]): Promise<void> {
  const cache = await caches.open(CACHE_NAME);
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (path !== POINTER_URL && !keep.includes(path)) await cache.delete(req);
  }
}
