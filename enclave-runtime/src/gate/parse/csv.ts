/**
 * CSV (and TSV, ;- and |-separated) parsing of output files (runs inside the TEE). RFC 4180 quoting,
 * LF or CRLF line ends; the separator is whichever candidate splits the first lines most consistently.
 */
import type { Table } from "./table";

const CANDIDATES = [",", ";", "\t", "|"] as const;

/** Counts `sep` outside quotes on each of the first few lines. */
function countsPerLine(text: string, sep: string, maxLines: number): number[] {
  const counts: number[] = [];
  let count = 0;
  let quoted = false;
  for (let i = 0; i < text.length && counts.length < maxLines; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === sep) count++;
    else if (!quoted && c === "\n") {
      counts.push(count);
      count = 0;
    }
  }
  if (counts.length < maxLines && count > 0) counts.push(count);
  return counts;
}

export function detectSeparator(text: string): string {
  let best: string = ",";
  let bestScore = -1;
  for (const sep of CANDIDATES) {
    const counts = countsPerLine(text, sep, 20).filter((_, i, a) => i < a.length);
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

/** Parses CSV text; the first record is the header. Empty lines are skipped. */
export function parseCsv(text: string, separator = detectSeparator(text)): Table {
  const records: string[][] = [];
  const sep = separator.charCodeAt(0);
  let record: string[] = [];
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
  while (i < n) {
    let value: string;
    if (text.charCodeAt(i) === 34) {
      // Quoted field: "" is a quote.
      let out = "";
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          out += text.slice(j);
          j = n;
          break;
        }
        out += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          out += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the separator is kept, as lenient readers do.
      let k = j;
      while (k < n && text.charCodeAt(k) !== sep && text.charCodeAt(k) !== 10 && text.charCodeAt(k) !== 13)
        k++;
      value = out + text.slice(j, k);
      i = k;
    } else {
      let k = i;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === sep || c === 10 || c === 13) break;
        k++;
      }
      value = text.slice(i, k);
      i = k;
    }
    record.push(value);
    const c = text.charCodeAt(i);
    if (c === sep) {
      i++;
      if (i === n) record.push("");
      continue;
    }
    // End of line or of text.
    if (c === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  }
  if (record.length > 0 && !(record.length === 1 && record[0] === "")) records.push(record);
  const [header = [], ...rows] = records;
  return { header, rows };
}
