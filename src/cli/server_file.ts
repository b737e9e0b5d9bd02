/**
 * Where the server on a data folder listens, written into the folder while it serves: a command
 * that finds PGlite's folder locked (`deno task pipeline` while `start` runs) talks to it there.
 */

/** Name of the file inside the data folder. */
export const SERVER_FILE = "server.json";

/** What the serving process writes. */
export interface ServerAddress {
  url: string;
  pid: number;
  since: string;
}

/** Records that this process serves `dataDir` at `url`; the returned function removes the record. */
export async function writeServerAddress(
  dataDir: string,
  url: string,
): Promise<() => Promise<void>> {
  const path = `${dataDir}/${SERVER_FILE}`;
  await Deno.mkdir(dataDir, { recursive: true });
  const mine: ServerAddress = { url, pid: Deno.pid, since: new Date().toISOString() };
  await Deno.writeTextFile(path, JSON.stringify(mine) + "\n");
  return async () => {
    // Only our own record: another server may have replaced it meanwhile.
    if ((await readServerAddress(dataDir))?.pid === Deno.pid) {
      await Deno.remove(path).catch(() => {});
    }
  };
}

/** The recorded address, or null when no server recorded one (or the file is unreadable). */
export async function readServerAddress(dataDir: string): Promise<ServerAddress | null> {
  try {
    const a = JSON.parse(await Deno.readTextFile(`${dataDir}/${SERVER_FILE}`));
    return typeof a?.url === "string" && /^https?:\/\//.test(a.url) ? a as ServerAddress : null;
  } catch {
    return null;
  }
}
