/** The admin bearer token: REELRANK_ADMIN_TOKEN, or one generated once into the data folder (mode 0600). */
import type { Config } from "../config.ts";
import { internal } from "../errors.ts";

/** Where the token came from; `generated` means it was just created and must be shown once. */
export interface AdminToken {
  token: string;
  source: "environment" | "file" | "generated";
  /** The file holding it (file and generated). */
  path?: string;
}

/** Name of the token file inside the data folder. */
export const TOKEN_FILE = "admin_token";

/**
 * Returns the configured token, else the one stored in `${dataDir}/admin_token`, else generates
 * 32 random bytes (base64url), writes them there readable by the owner only, and says so.
 */
export async function ensureAdminToken(
  config: Pick<Config, "adminToken" | "dataDir">,
): Promise<AdminToken> {
  if (config.adminToken) return { token: config.adminToken, source: "environment" };
  const path = `${config.dataDir}/${TOKEN_FILE}`;
  try {
    const token = (await Deno.readTextFile(path)).trim();
    if (token.length >= 16) {
      await Deno.chmod(path, 0o600);
      return { token, source: "file", path };
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw internal(`cannot read the admin token file ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  await Deno.mkdir(config.dataDir, { recursive: true });
  // Written aside, then linked into place: the link fails when another process (servers sharing a
  // port and a data folder start together) stored its token first, and then that one is used, so
  // every process checks the same token.
  const aside = `${path}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(aside, token + "\n", { mode: 0o600 });
  await Deno.chmod(aside, 0o600);
  try {
    await Deno.link(aside, path);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    const stored = (await Deno.readTextFile(path)).trim();
    if (stored.length < 16) throw internal(`the admin token file ${path} holds no token`);
    return { token: stored, source: "file", path };
  } finally {
    await Deno.remove(aside);
  }
  return { token, source: "generated", path };
}
