/** Object-key rules shared by every store, so a key valid on a folder is valid on S3 and back. */
import { invalid } from "../errors.ts";

/** Prefix of the temporary files a folder store writes before renaming; never a valid key segment. */
export const TEMP_PREFIX = ".reelrank-tmp-";

/**
 * Throws INVALID_PARAMETER unless `key` is a relative `/`-separated path: not empty, no leading
 * or trailing `/`, no empty, `.` or `..` segments, no backslash or control characters, at most
 * 1024 bytes, and no segment starting with the temp-file prefix.
 */
export function validateKey(key: string): string {
  const problem = typeof key !== "string" || key === ""
    ? "it is empty"
    : key.startsWith("/")
    ? "it starts with /"
    : key.endsWith("/")
    ? "it ends with /"
    : new TextEncoder().encode(key).length > 1024
    ? "it is longer than 1024 bytes"
    // deno-lint-ignore no-control-regex
    : /[\\\x00-\x1f\x7f]/.test(key)
    ? "it contains a backslash or a control character"
    : key.split("/").some((s) => s === "" || s === "." || s === "..")
    ? "it has an empty, . or .. segment"
    : key.split("/").some((s) => s.startsWith(TEMP_PREFIX))
    ? `a segment starts with the reserved ${TEMP_PREFIX}`
    : null;
  if (problem) {
    throw invalid(
      `object key ${
        JSON.stringify(key)
      } is invalid because ${problem}; expected a relative path like "snapshots/abc/movies.csv.gz"`,
    );
  }
  return key;
}

/** Like {@linkcode validateKey} for list prefixes: empty is allowed, a trailing `/` too. */
export function validatePrefix(prefix: string): string {
  if (prefix === "") return prefix;
  validateKey(prefix.endsWith("/") ? prefix + "x" : prefix);
  return prefix;
}
