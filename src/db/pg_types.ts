/** Result and parameter conversions shared by both backends, so a row reads the same on each. */
import { formatArrayLiteral, parseArrayLiteral } from "./pg_array.ts";

/** int8 and numeric come back as JS numbers (ids and counts here stay far below 2^53). */
export const toNumber = (x: string): number => Number(x);

/** Dates, timestamps and timestamptz: the server's text form parsed as postgres.js does. */
export const toDate = (x: string): Date => new Date(x);

/** json/jsonb: a string parameter is already JSON text; anything else is stringified. */
export const jsonCodec = {
  serialize: (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x)),
  parse: (x: string): unknown => JSON.parse(x),
};

/** Element type name → [element OID, array OID, element parser]. */
export const ARRAY_TYPES: Record<string, [number, number, (s: string) => unknown]> = {
  bool: [16, 1000, (s) => s === "t"],
  int2: [21, 1005, toNumber],
  int4: [23, 1007, toNumber],
  int8: [20, 1016, toNumber],
  float4: [700, 1021, toNumber],
  float8: [701, 1022, toNumber],
  numeric: [1700, 1231, toNumber],
  text: [25, 1009, (s) => s],
  varchar: [1043, 1015, (s) => s],
  bpchar: [1042, 1014, (s) => s],
  uuid: [2950, 2951, (s) => s],
  date: [1082, 1182, toDate],
  timestamp: [1114, 1115, toDate],
  timestamptz: [1184, 1185, toDate],
  json: [114, 199, jsonCodec.parse],
  jsonb: [3802, 3807, jsonCodec.parse],
};

/** Serializes an array parameter (a string is taken as a ready literal). */
export function serializeArray(x: unknown): string {
  return Array.isArray(x) ? formatArrayLiteral(x) : String(x);
}

/** Parser for one array type, built on the shared literal codec (NULL-aware). */
export function arrayParser(element: (s: string) => unknown): (x: string) => unknown {
  return (x) => parseArrayLiteral(x, element);
}
