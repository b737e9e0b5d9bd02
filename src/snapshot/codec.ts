/** Bytes helpers for snapshots: gzip and gunzip through (De)CompressionStream. */
import { corrupt } from "../errors.ts";

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

/**
 * Gunzips `bytes`, refusing (CORRUPT) output beyond `maxBytes`: gzip inflates up to ~1,000 times,
 * so a small object could otherwise exhaust memory. Throws on a damaged stream.
 */
export async function gunzip(
  bytes: Uint8Array,
  options: { maxBytes: number; name: string },
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > options.maxBytes) {
      // Throwing out of the loop cancels the stream: nothing more is inflated.
      throw corrupt(
        `${options.name} inflates to more than ${options.maxBytes} bytes (from ${bytes.length} ` +
          "compressed); refusing it",
      );
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
