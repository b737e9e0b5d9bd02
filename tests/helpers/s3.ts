/** Starts a real S3 protocol server (s3rver) on a free port with a fresh folder and bucket, for tests. */
import S3rver from "s3rver";

/** A running s3rver: point an S3 client (or `Config.s3` + `s3://bucket`) at it, then `close()`. */
export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server and deletes its folder. */
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with an OS-assigned port and one empty bucket. */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const directory = await Deno.makeTempDir({ prefix: "reelrank-s3rver-" });
  const bucket = opts.bucket ?? "reelrank-test";
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: "us-east-1",
    // s3rver's built-in account.
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    async close() {
      await server.close();
      await Deno.remove(directory, { recursive: true });
    },
  };
}
