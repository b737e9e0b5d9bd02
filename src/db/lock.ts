/** An exclusive OS lock on a data folder, so only one process ever opens a PGlite database. */
import { ReelrankError } from "../errors.ts";

/** A held lock; `release()` is idempotent. */
export interface FolderLock {
  readonly path: string;
  release(): void;
}

/** Who holds a lock, as written into the lock file by the holder. */
export interface LockOwner {
  pid: number;
  command: string;
  since: string;
}

function describeSelf(): LockOwner {
  let command = "deno";
  try {
    command = [Deno.mainModule, ...Deno.args].join(" ");
  } catch {
    // mainModule needs no permission today; keep a placeholder if that ever changes.
  }
  return { pid: Deno.pid, command, since: new Date().toISOString() };
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as LockOwner;
  } catch {
    return null;
  }
}

/**
 * Takes an exclusive lock on `lockPath` (created if missing) and writes the holder's pid and
 * command line into it. The lock is an OS file lock (flock), released by the kernel when the
 * process dies, so a stale file from a killed process never blocks. Because flock belongs to the
 * open file, a second `acquireFolderLock` in the same process is refused too.
 *
 * Throws a CONFLICT `ReelrankError` naming the holder when the lock is taken.
 */
export function acquireFolderLock(lockPath: string, opts: { what?: string } = {}): FolderLock {
  const file = Deno.openSync(lockPath, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = file.tryLockSync(true);
  } catch (err) {
    file.close();
    throw err;
  }
  if (!locked) {
    file.close();
    const owner = readOwner(lockPath);
    const who = owner
      ? `process ${owner.pid} (${owner.command}, since ${owner.since})`
      : "another process";
    throw new ReelrankError(
      "CONFLICT",
      `${opts.what ?? "the data folder"} is in use by ${who} (lock file ${lockPath}); ` +
        "wait for it or stop it, or set DATABASE_URL to share a PostgreSQL server",
    );
  }
  file.truncateSync(0);
  file.writeSync(new TextEncoder().encode(JSON.stringify(describeSelf()) + "\n"));
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      try {
        file.truncateSync(0);
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}
