/** Bytes helpers for snapshots: sha256 in hex, gzip and gunzip through (De)CompressionStream. */

/** Hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Gzips `bytes`. */
export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return collect(
    new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  );
}

/** Gunzips `bytes`; throws on a damaged stream. */
export function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return collect(
    new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    ),
  );
}
