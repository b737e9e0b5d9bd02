/** Bytes helpers for snapshots: gzip and gunzip through (De)CompressionStream. */

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
