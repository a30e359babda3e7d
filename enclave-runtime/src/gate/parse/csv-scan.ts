/**
 * Reads a CSV output straight from its bytes into the leakage scanner (runs inside the TEE): the same
 * records as parseCsv (csv.ts) gives, without decoding the file or making a string per cell. Unquoted
 * cells go to the scanner as byte ranges; only quoted cells (rare) and the
 * header become strings. Separators, quotes and line ends are ASCII, so working on UTF-8 bytes
 * cuts exactly where working on the decoded text would.
 */
import type { FingerprintIndex } from "../fingerprints/fingerprint-index";
import { type LeakageScan, LeakageScanner } from "../fingerprints/scan";

const CANDIDATES = [0x2c, 0x3b, 0x09, 0x7c] as const; // , ; tab |
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder();

/** detectSeparator of csv.ts, on bytes: counts `sep` outside quotes on each of the first few lines. */
function countsPerLine(bytes: Uint8Array, sep: number, maxLines: number): number[] {
  const counts: number[] = [];
  let count = 0;
  let quoted = false;
  for (let i = 0; i < bytes.length && counts.length < maxLines; i++) {
    const c = bytes[i];
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && c === sep) count++;
    else if (!quoted && c === LF) {
      counts.push(count);
      count = 0;
    }
  }
  if (counts.length < maxLines && count > 0) counts.push(count);
  return counts;
}

export function detectSeparatorBytes(bytes: Uint8Array): number {
  let best: number = CANDIDATES[0];
  let bestScore = -1;
  for (const sep of CANDIDATES) {
    const counts = countsPerLine(bytes, sep, 20);
    if (counts.length === 0 || counts[0] === 0) continue;
    const consistent = counts.filter((n) => n === counts[0]).length / counts.length;
    const score = consistent * 1000 + counts[0]!;
    if (score > bestScore) {
      bestScore = score;
      best = sep;
    }
  }
  return best;
}

function startsWithBom(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf;
}

export interface CsvScan {
  header: string[];
  scan: LeakageScan;
}

/** Where a CSV file's data rows start, and how to read them: what every slice of a parallel scan shares. */
export interface CsvLayout {
  /** The separator byte (detectSeparatorBytes over the whole file). */
  sep: number;
  /** The header record's cells (empty when the file has no record). */
  header: string[];
  /** The first byte after the header record: the first data record starts here. */
  bodyStart: number;
}

/** Scans the rows of a CSV file (valid UTF-8) against the index; the first record is the header. */
export function scanCsvBytes(index: FingerprintIndex, bytes: Uint8Array): CsvScan {
  const layout = readCsvLayout(bytes);
  return {
    header: layout.header,
    scan: scanCsvRecords(index, bytes, layout, layout.bodyStart, bytes.length),
  };
}

/** The separator and the header record (the first record parseCsv keeps). */
export function readCsvLayout(bytes: Uint8Array): CsvLayout {
  const sep = detectSeparatorBytes(bytes);
  // A UTF-8 decoder drops one byte order mark and parseCsv skips one more.
  let i = startsWithBom(bytes, 0) ? 3 : 0;
  if (startsWithBom(bytes, i)) i += 3;
  const header: string[] = [];
  const bodyStart = readHeader(bytes, i, bytes.length, sep, header);
  return { sep, header, bodyStart };
}

/**
 * Scans the records of bytes[from, to) as data rows. `from` must be where a record starts and `to`
 * where one ends (or the end of the file), as the whole-file reading would see them: then the rows,
 * findings and evidence are those of that part of the file, with row numbers counted from 0.
 */
export function scanCsvRecords(
  index: FingerprintIndex,
  bytes: Uint8Array,
  layout: CsvLayout,
  from: number,
  to: number,
): LeakageScan {
  const scanner = new LeakageScanner(index, layout.header);
  scanner.values.setSource(bytes);
  readBody(bytes, from, to, layout.sep, scanner);
  return scanner.finish();
}

/**
 * Reads the header record from `from`: skips empty lines before it, collects its cells into
 * `header` and returns where it ended (or `to`). Never reads at or past `to`.
 */
function readHeader(bytes: Uint8Array, from: number, to: number, sep: number, header: string[]): number {
  const n = to;
  let i = from;
  while (i < n) {
    let value: string;
    if (bytes[i] === QUOTE) {
      value = readQuotedCell(bytes, i, n, sep);
      i = quotedCellEnd[0]!;
    } else {
      let k = i;
      while (k < n && bytes[k] !== sep && bytes[k] !== LF && bytes[k] !== CR) k++;
      value = utf8.decode(bytes.subarray(i, k));
      i = k;
    }
    header.push(value);
    const c = i < n ? bytes[i] : -1;
    if (c === sep) {
      i++;
      if (i === n) header.push("");
      continue;
    }
    if (c === CR) i++;
    if (i < n && bytes[i] === LF) i++;
    if (header.length === 1 && header[0] === "")
      header.length = 0; // an empty line: parseCsv skips it
    else return i;
  }
  if (header.length === 1 && header[0] === "") header.length = 0;
  return n;
}

/**
 * Reads every record of bytes[from, to) into `scanner` as a row (parseCsv's records: an empty line
 * is dropped). Never reads at or past `to`. The scan's hottest loop over the bytes: no closures,
 * its state in locals; unquoted cells go to the scanner as byte ranges.
 */
function readBody(bytes: Uint8Array, from: number, to: number, sep: number, scanner: LeakageScanner): void {
  // The byte constants in locals: a bundle turns module constants into variables, which the
  // optimizing compiler reloads on every use (the production bundle scanned 2-3% slower).
  const quote = QUOTE;
  const lf = LF;
  const cr = CR;
  const n = to;
  let i = from;
  // The record being read: its cells so far, and whether its first cell is empty.
  let cells = 0;
  let firstEmpty = false;
  while (i < n) {
    if (bytes[i] === quote) {
      const value = readQuotedCell(bytes, i, n, sep);
      i = quotedCellEnd[0]!;
      scanner.stringCell(value);
      if (cells++ === 0) firstEmpty = value === "";
    } else {
      let k = i;
      for (; k < n; k++) {
        const c = bytes[k]!;
        if (c === sep || c === lf || c === cr) break;
      }
      scanner.byteCell(i, k);
      if (cells++ === 0) firstEmpty = k === i;
      i = k;
    }
    const c = i < n ? bytes[i]! : -1;
    if (c === sep) {
      i++;
      if (i === n) {
        // A separator ends the bytes: an empty last cell, and the record ends here (not an empty
        // line, it has two cells). Ending it here keeps the loop the only exit: a check after the
        // loop runs once a call and threw away the optimized code every time (no type feedback).
        scanner.byteCell(n, n);
        scanner.endRow();
      }
      continue;
    }
    if (c === cr) i++;
    if (i < n && bytes[i] === lf) i++;
    if (cells === 1 && firstEmpty) scanner.dropRow();
    else scanner.endRow();
    cells = 0;
  }
}

/**
 * quotedCellEnd[0]: where the cell readQuotedCell read ended (the separator, line end or `to` after
 * it). An array element, not a module variable: the first write to a variable V8 has seen constant
 * throws away the optimized code of every reader that assumed it.
 */
const quotedCellEnd = new Int32Array(1);

/**
 * The text of the quoted cell opening at bytes[at]: "" is a quote, anything between the closing
 * quote and the separator is kept, a quote never closed runs to `to`. Sets quotedCellEnd.
 */
function readQuotedCell(bytes: Uint8Array, at: number, to: number, sep: number): string {
  const n = to;
  const cellText = (start: number, end: number) => utf8.decode(bytes.subarray(start, end));
  let out = "";
  let j = at + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, j);
    if (q < 0 || q >= n) {
      out += cellText(j, n);
      j = n;
      break;
    }
    out += cellText(j, q);
    if (q + 1 < n && bytes[q + 1] === QUOTE) {
      out += '"';
      j = q + 2;
    } else {
      j = q + 1;
      break;
    }
  }
  let k = j;
  while (k < n && bytes[k] !== sep && bytes[k] !== LF && bytes[k] !== CR) k++;
  quotedCellEnd[0] = k;
  return out + cellText(j, k);
}
