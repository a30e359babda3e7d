/**
 * JSON outputs as tables (runs inside the TEE): an array of objects (rows), an object of equal-length
 * arrays (columns), an array of arrays (first is the header if all strings), or any other document,
 * whose objects each become a row of their scalar leaves so nothing in it escapes the leakage scan.
 */
import { cellText } from "../fingerprints/normalize";
import type { Table } from "./table";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Scalar leaves of a value, keys joined with "." (arrays of scalars become several cells). */
function flatten(v: Json, prefix: string, into: Map<string, string>): void {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) flatten(x, `${prefix}[${i}]`, into);
  } else if (isObject(v))
    for (const [k, x] of Object.entries(v)) flatten(x, prefix === "" ? k : `${prefix}.${k}`, into);
  else into.set(prefix, cellText(v));
}

function fromObjects(objects: { [key: string]: Json }[]): Table {
  const header: string[] = [];
  const seen = new Map<string, number>();
  const flat = objects.map((o) => {
    const m = new Map<string, string>();
    flatten(o, "", m);
    for (const k of m.keys()) {
      if (!seen.has(k)) {
        seen.set(k, header.length);
        header.push(k);
      }
    }
    return m;
  });
  return { header, rows: flat.map((m) => header.map((h) => m.get(h) ?? "")) };
}

/** Every object anywhere in the document, as a row of its own scalar fields. */
function everyObject(v: Json, out: Table, depth: number): void {
  if (depth > 64) return;
  if (Array.isArray(v)) {
    const scalars = v.filter((x) => !Array.isArray(x) && !isObject(x));
    if (scalars.length > 0) out.rows.push(scalars.map((x) => cellText(x)));
    for (const x of v) if (Array.isArray(x) || isObject(x)) everyObject(x, out, depth + 1);
  } else if (isObject(v)) {
    const scalars = Object.values(v).filter((x) => !Array.isArray(x) && !isObject(x));
    if (scalars.length > 0) out.rows.push(scalars.map((x) => cellText(x)));
    for (const x of Object.values(v)) if (Array.isArray(x) || isObject(x)) everyObject(x, out, depth + 1);
  }
}

export function jsonToTable(doc: unknown): Table {
  const v = doc as Json;
  if (Array.isArray(v) && v.length > 0 && v.every(isObject)) return fromObjects(v);
  if (Array.isArray(v) && v.length > 0 && v.every(Array.isArray)) {
    const first = v[0] as Json[];
    const hasHeader = first.every((x) => typeof x === "string");
    const body = (hasHeader ? v.slice(1) : v) as Json[][];
    const width = Math.max(...v.map((r) => (r as Json[]).length));
    const header = hasHeader
      ? first.map((x) => String(x))
      : Array.from({ length: width }, (_, i) => `#${i + 1}`);
    return {
      header,
      rows: body.map((r) =>
        r.map((x) => (Array.isArray(x) || isObject(x) ? JSON.stringify(x) : cellText(x))),
      ),
    };
  }
  if (isObject(v)) {
    const entries = Object.entries(v);
    const lengths = new Set(entries.map(([, x]) => (Array.isArray(x) ? x.length : -1)));
    if (entries.length > 0 && lengths.size === 1 && !lengths.has(-1)) {
      const n = (entries[0]![1] as Json[]).length;
      const columns = entries.map(([, x]) => x as Json[]);
      return {
        header: entries.map(([k]) => k),
        rows: Array.from({ length: n }, (_, i) => columns.map((col) => cellText(col[i] as Json))),
      };
    }
  }
  const out: Table = { header: [], rows: [] };
  everyObject(v, out, 0);
  return out;
}
