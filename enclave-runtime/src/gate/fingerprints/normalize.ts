/**
 * Normalizes one cell of a dataset row or of an output into the 16-byte blocks the fingerprint PRF
 * takes (runs inside the TEE). The same function runs at ingest and at scan time, so a value is
 * recognised whatever its spelling: strings trimmed, lower-cased, inner whitespace collapsed; numbers
 * by value ("63", "63.0" and 6.3e1 are one value) and, for row shingles, rounded to a few significant
 * digits; dates as a day number whatever their layout (ISO, YYYY/MM/DD, DD/MM/YYYY, with a time).
 * Hot path of the gate: no allocation per cell, results go to the `cell` scratch record.
 */

/** Block kinds: the fourth word of every block, so values of different kinds never share a tag. */
export const BLOCK_KIND = { STRING: 1, NUMBER_EXACT: 2, NUMBER_ROUNDED: 3, DATE: 4, KEY_CHECK: 5 } as const;

export const CELL_EMPTY = 0;
export const CELL_STRING = 1;
export const CELL_NUMBER = 2;
export const CELL_DATE = 3;

/** What parseCell found (reused for every cell; read it before the next call). */
export const cell = { kind: CELL_EMPTY, num: 0, days: 0, h1: 0, h2: 0, len: 0 };

function setKind(kind: number): number {
  cell.kind = kind;
  return kind;
}

const MISSING = new Set(["na", "n/a", "nan", "null", "none", "nil", "-", ".", ""]);
const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);
const DAY_MS = 86_400_000;

function isSpace(c: number): boolean {
  return c <= 32 || c === 0xa0 || c === 0xfeff;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Day number of a valid calendar date, or NaN. */
function dayNumber(y: number, m: number, d: number): number {
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) return Number.NaN;
  const ms = Date.UTC(y, m - 1, d);
  if (new Date(ms).getUTCDate() !== d) return Number.NaN;
  return ms / DAY_MS;
}

/** Recognises YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (optionally followed by a time) and DD/MM/YYYY-style dates. */
function parseDate(s: string, start: number, end: number): number {
  const len = end - start;
  if (len < 8) return Number.NaN;
  const c4 = s.charCodeAt(start + 4);
  if ((c4 === 45 || c4 === 47 || c4 === 46) && len >= 10 && s.charCodeAt(start + 7) === c4) {
    if (len > 10) {
      const t = s.charCodeAt(start + 10);
      if (t !== 84 && t !== 32) return Number.NaN; // 'T' or ' ' before a time
    }
    return dayNumber(digits(s, start, 4), digits(s, start + 5, 2), digits(s, start + 8, 2));
  }
  const c2 = s.charCodeAt(start + 2);
  if ((c2 === 45 || c2 === 47 || c2 === 46) && len === 10 && s.charCodeAt(start + 5) === c2) {
    const a = digits(s, start, 2);
    const b = digits(s, start + 3, 2);
    const y = digits(s, start + 6, 4);
    // Day first (UK, Europe) unless that cannot be a date (then US month first).
    return b > 12 ? dayNumber(y, a, b) : dayNumber(y, b, a);
  }
  return Number.NaN;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes the normalized form of s[start, end) into cell.h1/h2/len; returns false for a missing-value marker. */
function hashString(s: string, start: number, end: number): boolean {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  let len = 0;
  let pendingSpace = false;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (isSpace(c)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace) {
      h1 = Math.imul(h1 ^ 32, 0x01000193);
      h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ 32;
      len++;
      pendingSpace = false;
    }
    if (c >= 65 && c <= 90) c += 32;
    else if (c >= 128) c = String.fromCharCode(c).toLowerCase().charCodeAt(0);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ c;
    len++;
  }
  if (len <= 4 && MISSING.has(s.slice(start, end).toLowerCase())) return false;
  cell.h1 = fmix32(h1 ^ len);
  cell.h2 = fmix32(h2 + Math.imul(len, 0x9e3779b1));
  cell.len = len;
  return true;
}

/** Classifies and normalizes one raw cell; returns its kind and fills `cell`. */
export function parseCell(raw: string): number {
  let start = 0;
  let end = raw.length;
  while (start < end && isSpace(raw.charCodeAt(start))) start++;
  while (end > start && isSpace(raw.charCodeAt(end - 1))) end--;
  if (start === end) return setKind(CELL_EMPTY);
  const c0 = raw.charCodeAt(start);
  if (isDigit(c0) || c0 === 45 || c0 === 43 || c0 === 46) {
    if (end - start >= 8 && isDigit(c0)) {
      const days = parseDate(raw, start, end);
      if (!Number.isNaN(days)) {
        cell.days = days;
        return setKind(CELL_DATE);
      }
    }
    const n = Number(start === 0 && end === raw.length ? raw : raw.slice(start, end));
    if (Number.isFinite(n)) {
      cell.num = n === 0 ? 0 : n; // -0 and 0 are one value
      return setKind(CELL_NUMBER);
    }
  }
  return setKind(hashString(raw, start, end) ? CELL_STRING : CELL_EMPTY);
}

/** Writes the exact block of the cell just parsed (not for CELL_EMPTY). */
export function writeExactBlock(words: Uint32Array, at: number): void {
  switch (cell.kind) {
    case CELL_NUMBER:
      float[0] = cell.num;
      words[at] = floatWords[0]!;
      words[at + 1] = floatWords[1]!;
      words[at + 2] = 0;
      words[at + 3] = BLOCK_KIND.NUMBER_EXACT;
      return;
    case CELL_DATE:
      words[at] = cell.days | 0;
      words[at + 1] = 0;
      words[at + 2] = 0;
      words[at + 3] = BLOCK_KIND.DATE;
      return;
    default:
      words[at] = cell.h1;
      words[at + 1] = cell.h2;
      words[at + 2] = cell.len;
      words[at + 3] = BLOCK_KIND.STRING;
  }
}

/** Like parseCell for a value of a parsed row: numbers and dates skip the round trip through text. */
export function parseValue(value: unknown): number {
  if (typeof value === "string") return parseCell(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return setKind(CELL_EMPTY);
    cell.num = value === 0 ? 0 : value;
    return setKind(CELL_NUMBER);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return setKind(CELL_EMPTY);
    cell.days = Math.floor(ms / DAY_MS);
    return setKind(CELL_DATE);
  }
  return parseCell(cellText(value));
}

const POW10 = Array.from({ length: 61 }, (_, i) => 10 ** (i - 30));

/**
 * Writes the block of the number just parsed rounded to `sig` significant digits, as an integer
 * mantissa and a decimal exponent, so that 3.47 and "3.5" meet at two digits without float equality.
 */
export function writeRoundedBlock(words: Uint32Array, at: number, sig: number): void {
  const v = cell.num;
  let mantissa = 0;
  let exponent = 0;
  if (v !== 0) {
    exponent = Math.floor(Math.log10(Math.abs(v)));
    const shift = sig - 1 - exponent;
    mantissa = Math.round(
      shift >= 0 ? v * (POW10[shift + 30] ?? 10 ** shift) : v / (POW10[30 - shift] ?? 10 ** -shift),
    );
    if (Math.abs(mantissa) >= POW10[sig + 30]!) {
      mantissa = Math.round(mantissa / 10);
      exponent++;
    }
  }
  words[at] = mantissa | 0;
  words[at + 1] = exponent | 0;
  words[at + 2] = sig;
  words[at + 3] = BLOCK_KIND.NUMBER_ROUNDED;
}

/** The text of a value from a parsed row (JSON, Parquet, a dataset row object); "" when missing. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  return "";
}
