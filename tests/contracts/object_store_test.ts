/** Runs the ObjectStore contract against the folder store and against S3 on a real s3rver. */
import { FsObjectStore } from "../../src/storage/fs.ts";
import { S3ObjectStore } from "../../src/storage/s3.ts";
import { startS3Server } from "../helpers/s3.ts";
import { objectStoreContract } from "./object_store_contract.ts";

objectStoreContract("fs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-objects-" });
  return {
    store: new FsObjectStore(`${dir}/objects`),
    close: () => Deno.remove(dir, { recursive: true }),
  };
});

objectStoreContract("s3", async () => {
  const server = await startS3Server();
  const store = new S3ObjectStore(`s3://${server.bucket}/some/prefix`, {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
  });
  return {
    store,
    async close() {
      store.close();
      await server.close();
    },
  };
});
