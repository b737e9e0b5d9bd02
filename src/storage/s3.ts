/** The S3 object store: any S3 API (AWS, MinIO, s3rver) through @aws-sdk/client-s3, under a key prefix. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { invalid, notFound, ReelrankError } from "../errors.ts";
import { validateKey, validatePrefix } from "./keys.ts";
import type { ObjectInfo, ObjectStore, PutResult } from "./object_store.ts";
import { getLogger } from "../log.ts";

const log = getLogger("storage/s3");

/** Connection settings; the same shape as `Config.s3`. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/** Bodies up to this size go in one PUT; larger streams become a multipart upload of such parts. */
const PART_SIZE = 8 * 1024 * 1024;

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isMissing(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === "NoSuchKey" || name === "NotFound" ||
    (status(err) === 404 && name !== "NoSuchBucket");
}

/** Reads up to `size` bytes from `reader` (fewer only at the end of the stream). */
async function readPart(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  size: number,
  carry: { rest: Uint8Array | null },
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let have = 0;
  while (have < size) {
    let chunk = carry.rest;
    carry.rest = null;
    if (!chunk) {
      const r = await reader.read();
      if (r.done) break;
      chunk = r.value;
    }
    if (have + chunk.byteLength > size) {
      carry.rest = chunk.subarray(size - have);
      chunk = chunk.subarray(0, size - have);
    }
    parts.push(chunk);
    have += chunk.byteLength;
  }
  const out = new Uint8Array(have);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** An `ObjectStore` on `s3://bucket/prefix`. PUT is atomic on S3: readers never see half an object. */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;

  /** `url` is `s3://bucket` or `s3://bucket/some/prefix`. */
  constructor(url: string, settings: S3Settings) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
    if (!m) {
      throw invalid(
        `S3 URL must look like s3://bucket/prefix with a valid bucket name, got "${url}"`,
      );
    }
    this.#bucket = m[1];
    this.#prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
    if (this.#prefix) validateKey(this.#prefix);
    this.url = `s3://${this.#bucket}${this.#prefix ? "/" + this.#prefix : ""}`;
    this.#client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.accessKeyId && settings.secretAccessKey
        ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
        : undefined,
      // S3-compatible servers often reject the SDK's default extra CRC checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  #key(key: string): string {
    validateKey(key);
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  async #send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ReelrankError) throw err;
      const name = (err as { name?: string })?.name ?? "Error";
      const code = status(err);
      if (name === "NoSuchBucket") {
        throw new ReelrankError(
          "UNAVAILABLE",
          `S3 bucket "${this.#bucket}" does not exist (${what}); create it or fix S3_BUCKET/OBJECT_STORE_URL`,
          { cause: err, permanent: true },
        );
      }
      if (code === 401 || code === 403) {
        throw new ReelrankError(
          "UNAUTHORIZED",
          `S3 refused ${what} on ${this.url} (${name}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
          { cause: err },
        );
      }
      throw new ReelrankError(
        "UNAVAILABLE",
        `S3 ${what} on ${this.url} failed: ${name} ${(err as Error).message ?? ""}`.trim(),
        { cause: err },
      );
    }
  }

  async put(
    key: string,
    body: Uint8Array | ReadableStream<Uint8Array>,
    opts: { contentType?: string } = {},
  ): Promise<PutResult> {
    const Key = this.#key(key);
    const ContentType = opts.contentType ?? "application/octet-stream";
    const hash = createHash("sha256");
    const reader = body instanceof ReadableStream ? body.getReader() : null;
    const carry = { rest: null as Uint8Array | null };
    const first = reader ? await readPart(reader, PART_SIZE, carry) : body as Uint8Array;
    hash.update(first);
    if (!reader || first.byteLength < PART_SIZE) {
      await this.#send(
        `put "${key}"`,
        () =>
          this.#client.send(
            new PutObjectCommand({
              Bucket: this.#bucket,
              Key,
              Body: first,
              ContentLength: first.byteLength,
              ContentType,
            }),
          ),
      );
      return { key, size: first.byteLength, sha256: hash.digest("hex") };
    }
    // Larger than one part: multipart upload, so memory stays bounded; S3 makes the object
    // visible only at CompleteMultipartUpload, which keeps the write atomic.
    const { UploadId } = await this.#send(
      `start upload of "${key}"`,
      () =>
        this.#client.send(
          new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key, ContentType }),
        ),
    );
    const parts: { ETag?: string; PartNumber: number }[] = [];
    let size = 0;
    try {
      let part: Uint8Array = first;
      while (part.byteLength > 0) {
        const PartNumber = parts.length + 1;
        const bytes = part;
        const { ETag } = await this.#send(
          `upload part ${PartNumber} of "${key}"`,
          () =>
            this.#client.send(
              new UploadPartCommand({
                Bucket: this.#bucket,
                Key,
                UploadId,
                PartNumber,
                Body: bytes,
                ContentLength: bytes.byteLength,
              }),
            ),
        );
        parts.push({ ETag, PartNumber });
        size += part.byteLength;
        part = await readPart(reader, PART_SIZE, carry);
        hash.update(part);
      }
      await this.#send(
        `complete upload of "${key}"`,
        () =>
          this.#client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.#bucket,
              Key,
              UploadId,
              MultipartUpload: { Parts: parts },
            }),
          ),
      );
    } catch (err) {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId }),
      ).catch((abortErr) =>
        log.warn("could not abort a failed multipart upload; the bucket may keep its parts", {
          key,
          error: abortErr,
        })
      );
      throw err;
    }
    return { key, size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<Uint8Array> {
    const stream = await this.getStream(key);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  async getStream(key: string): Promise<ReadableStream<Uint8Array>> {
    const Key = this.#key(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key }));
      return (out.Body as { transformToWebStream(): ReadableStream<Uint8Array> })
        .transformToWebStream();
    } catch (err) {
      if (isMissing(err)) {
        throw notFound(`object "${key}" does not exist in ${this.url}`, { cause: err });
      }
      return await this.#send(`get "${key}"`, () => Promise.reject(err));
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const Key = this.#key(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissing(err)) return null;
      return await this.#send(`head "${key}"`, () => Promise.reject(err));
    }
  }

  /**
   * Pages with ListObjects (v1) and `Marker` = the last key seen. V2's continuation tokens would
   * do as well on AWS, but s3rver builds them with DES, which Deno's node:crypto lacks; markers
   * work on every S3 API we target and let the tests exercise paging for real.
   */
  async list(prefix: string): Promise<ObjectInfo[]> {
    validatePrefix(prefix);
    const base = this.#prefix ? `${this.#prefix}/` : "";
    const out: ObjectInfo[] = [];
    let Marker: string | undefined;
    for (;;) {
      const page = await this.#send(
        `list "${prefix}"`,
        () =>
          this.#client.send(
            new ListObjectsCommand({ Bucket: this.#bucket, Prefix: base + prefix, Marker }),
          ),
      );
      const contents = page.Contents ?? [];
      for (const o of contents) {
        if (!o.Key) continue;
        out.push({
          key: o.Key.slice(base.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified ?? new Date(0),
        });
      }
      const last = contents.at(-1)?.Key;
      if (!page.IsTruncated || !last) break;
      Marker = last;
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const Key = this.#key(key);
    await this.#send(
      `delete "${key}"`,
      () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key })),
    );
  }

  /** Releases the SDK's sockets (tests; long-running servers keep one store). */
  close(): void {
    this.#client.destroy();
  }
}
