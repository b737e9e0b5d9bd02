/** Streaming RFC 4180 CSV reader: LF or CRLF, quoted fields with commas, quotes and newlines. */
import { invalid } from "../errors.ts";

/** One parsed record with the 1-based line it starts on (for rejected-row reasons). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

interface Parsed {
  fields: string[];
  next: number;
  lines: number;
}

/** Parses the record starting at `start`; `null` when the buffer ends inside it and more text may come. */
function parseRecord(buf: string, start: number, final: boolean): Parsed | null {
  const nl = buf.indexOf("\n", start);
  const end = nl === -1 ? buf.length : nl;
  if (nl === -1 && !final) return null;
  // Fast path: most lines hold no quotes at all.
  const quote = buf.indexOf('"', start);
  if (quote === -1 || quote > end) {
    let line = buf.slice(start, end);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    return { fields: line.split(","), next: nl === -1 ? buf.length : nl + 1, lines: 1 };
  }
  const fields: string[] = [];
  let field = "";
  let lines = 1;
  let inQuotes = false;
  let i = start;
  while (i < buf.length) {
    const c = buf[i];
    if (inQuotes) {
      if (c === '"') {
        if (buf[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        if (i + 1 === buf.length && !final) return null; // cannot tell "" from " yet
        inQuotes = false;
      } else {
        if (c === "\n") lines++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') inQuotes = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n") {
      fields.push(field);
      return { fields, next: i + 1, lines };
    } else if (c !== "\r" || buf[i + 1] !== "\n") field += c;
    i++;
  }
  if (!final) return null;
  fields.push(field);
  return { fields, next: buf.length, lines };
}

/** Limits on what one file may hold; over them the whole file is refused (data files are small per row). */
export interface CsvLimits {
  /** The file's name in error messages. */
  name: string;
  /** Longest record, in characters (default 64 Ki): a 1 GB line is refused after 64 Ki. */
  maxRecordChars?: number;
  /** Longest field, in characters (default 4 Ki). */
  maxFieldChars?: number;
}

export const MAX_RECORD_CHARS = 64 * 1024;
export const MAX_FIELD_CHARS = 4 * 1024;

/**
 * Reads CSV records from a byte stream without holding the whole file in memory. Blank lines are
 * skipped; a leading UTF-8 BOM is dropped. Bytes that are not UTF-8 (or U+FFFD, the mark of an
 * earlier bad conversion), a record over
 * `maxRecordChars` or a field over `maxFieldChars` stop the reading with INVALID_PARAMETER naming
 * the file and the line.
 */
export async function* readCsv(
  stream: ReadableStream<Uint8Array>,
  limits: CsvLimits = { name: "the CSV file" },
): AsyncGenerator<CsvRecord> {
  const maxRecord = limits.maxRecordChars ?? MAX_RECORD_CHARS;
  const maxField = limits.maxFieldChars ?? MAX_FIELD_CHARS;
  // The cast keeps this compiling when the DOM lib is in the program too (Preact's types add it),
  // whose TextDecoderStream is typed as accepting any BufferSource.
  const reader = (stream as ReadableStream<BufferSource>).pipeThrough(new TextDecoderStream())
    .getReader();
  let buf = "";
  let line = 1;
  let first = true;
  for (;;) {
    const { value, done } = await reader.read();
    // The decoder turns bytes that are not UTF-8 into U+FFFD: finding it gives the exact line.
    const bad = value ? value.indexOf("\uFFFD") : -1;
    if (bad >= 0) {
      await reader.cancel().catch(() => {});
      const before = buf + value!.slice(0, bad);
      const at = line + (before.match(/\n/g)?.length ?? 0);
      throw invalid(`${limits.name} line ${at}: bytes that are not UTF-8; save the file as UTF-8`);
    }
    if (value) buf += value;
    if (first && buf.length > 0) {
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
      first = false;
    }
    let pos = 0;
    while (pos < buf.length) {
      const rec = parseRecord(buf, pos, done);
      if (!rec) break;
      pos = rec.next;
      const blank = rec.fields.length === 1 && rec.fields[0] === "";
      const long = rec.fields.findIndex((f) => f.length > maxField);
      if (long >= 0) {
        await reader.cancel().catch(() => {});
        throw invalid(
          `${limits.name} line ${line}: field ${long + 1} has ${
            rec.fields[long].length
          } characters; ` +
            `at most ${maxField} are accepted`,
        );
      }
      if (!blank) yield { line, fields: rec.fields };
      line += rec.lines;
    }
    buf = buf.slice(pos);
    if (buf.length > maxRecord) {
      await reader.cancel().catch(() => {});
      throw invalid(
        `${limits.name} line ${line}: a record longer than ${maxRecord} characters (no end of line ` +
          "in sight); is it the right file?",
      );
    }
    if (done) return;
  }
}

/** A CSV row keyed by header column; `error` is set when its field count does not match the header. */
export interface CsvObject {
  line: number;
  raw: Record<string, string>;
  error?: string;
}

/**
 * Reads a CSV file with a header row and yields each record as `{ column: value }`. Throws when
 * a required column is missing, naming the columns seen and the ones expected.
 */
export async function* readCsvObjects(
  stream: ReadableStream<Uint8Array>,
  opts: { name: string; required: readonly string[] },
): AsyncGenerator<CsvObject> {
  let header: string[] | undefined;
  for await (const rec of readCsv(stream, { name: opts.name })) {
    if (!header) {
      header = rec.fields.map((f) => f.trim());
      const missing = opts.required.filter((c) => !header!.includes(c));
      if (missing.length) {
        throw invalid(
          `${opts.name} has columns "${header.join(",")}"; expected at least "${
            opts.required.join(",")
          }"`,
        );
      }
      continue;
    }
    const raw: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) raw[header[i]] = rec.fields[i] ?? "";
    const error = rec.fields.length === header.length
      ? undefined
      : `expected ${header.length} fields, got ${rec.fields.length}`;
    yield { line: rec.line, raw, error };
  }
}
