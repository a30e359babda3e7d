/**
 * Tabular files at ingest (runs inside the TEE): counts CSV rows while the plaintext streams past,
 * recognises a known dataset schema from the header line, and re-reads a sealed local copy row by row
 * (synchronously, bounded memory) for builders that need two passes, like the gate's fingerprints.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type DatasetSchema, LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol";
import { beginRead, HEADER_MAX_LENGTH, parseHeader, TAG_LENGTH } from "@cce4long/sealing";

/** Schemas ingest recognises by their header line (columns in any order). */
export const KNOWN_SCHEMAS: readonly DatasetSchema[] = [LONGEVITY_COHORT_SCHEMA as DatasetSchema];

const NEWLINE = 0x0a;
const MAX_HEADER_LINE = 64 * 1024;

/** Watches a CSV's plaintext go by: counts lines and keeps the header line. Holds nothing else. */
export class CsvObserver {
  #newlines = 0;
  #bytes = 0;
  #lastByte = -1;
  #header: number[] | undefined = [];
  #headerLine: string | undefined;

  observe(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#bytes += piece.length;
    this.#lastByte = piece[piece.length - 1]!;
    const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let at = buffer.indexOf(NEWLINE);
    if (this.#header !== undefined) this.#captureHeader(piece, at);
    while (at !== -1) {
      this.#newlines++;
      at = buffer.indexOf(NEWLINE, at + 1);
    }
  }

  /** Data rows (lines after the header); a last line without a newline counts. Null for an empty file. */
  get rows(): number | null {
    if (this.#bytes === 0) return null;
    const lines = this.#newlines + (this.#lastByte === NEWLINE ? 0 : 1);
    return Math.max(0, lines - 1);
  }

  get headerColumns(): string[] | undefined {
    return this.#headerLine === undefined ? undefined : splitCsvLine(this.#headerLine.replace(/\r$/, ""));
  }

  #captureHeader(piece: Uint8Array, newlineAt: number): void {
    const header = this.#header!;
    const end = newlineAt === -1 ? piece.length : newlineAt;
    for (let i = 0; i < end && header.length < MAX_HEADER_LINE; i++) header.push(piece[i]!);
    if (newlineAt !== -1 || header.length >= MAX_HEADER_LINE) {
      this.#headerLine = Buffer.from(header)
        .toString("utf8")
        .replace(/^\uFEFF/, "");
      this.#header = undefined;
    }
  }
}

/** The known schema whose column names are exactly `columns` (any order), if any. */
export function matchSchema(columns: readonly string[] | undefined): DatasetSchema | undefined {
  if (columns === undefined) return undefined;
  const given = new Set(columns);
  return KNOWN_SCHEMAS.find(
    (schema) => schema.columns.length === given.size && schema.columns.every((c) => given.has(c.name)),
  );
}

/** Splits one CSV line (RFC 4180 quoting; a quoted field may not span lines here). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * The rows of a CSV stored locally in the encrypted file format, as objects keyed by column name.
 * Every iteration re-reads and re-decrypts the file (one chunk in memory at a time), so a builder can
 * make as many passes as it needs without the table ever being held in memory or written in clear.
 */
export function sealedCsvRows(path: string, key: Uint8Array): Iterable<Record<string, string>> {
  return {
    *[Symbol.iterator]() {
      const fd = openSync(path, "r");
      try {
        const size = fstatSync(fd).size;
        const head = Buffer.alloc(Math.min(HEADER_MAX_LENGTH, size));
        readSync(fd, head, 0, head.length, 0);
        const session = beginRead(parseHeader(head), key);
        try {
          let columns: string[] | undefined;
          let carry = "";
          const decoder = new TextDecoder("utf-8", { fatal: true });
          for (let i = 0; i < session.chunkCount; i++) {
            const sealed = Buffer.alloc(session.plainLength(i) + TAG_LENGTH);
            readSync(fd, sealed, 0, sealed.length, session.chunkOffset(i));
            const plain = session.decryptChunk(i, sealed);
            const text = carry + decoder.decode(plain, { stream: i < session.chunkCount - 1 });
            plain.fill(0);
            const lines = text.split("\n");
            carry = lines.pop() ?? "";
            for (const raw of lines) {
              const line = raw.replace(/\r$/, "");
              if (columns === undefined) columns = splitCsvLine(line.replace(/^\uFEFF/, ""));
              else if (line !== "") yield toRecord(columns, splitCsvLine(line));
            }
          }
          if (carry !== "" && columns !== undefined)
            yield toRecord(columns, splitCsvLine(carry.replace(/\r$/, "")));
        } finally {
          session.close();
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

function toRecord(columns: readonly string[], values: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) record[columns[i]!] = values[i] ?? "";
  return record;
}
