/**
 * A file-backed transparency log store (runs in Node: the log operator's machine, the local platform):
 * one canonical JSON entry per line, appended with O_APPEND and fsync. Appends check the current leaf
 * count first, so two writers cannot both add leaf N; the file is never rewritten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import type { TransparencyLogStore } from "@cce4long/protocol/transparency/log";

const NEWLINE = 0x0a;

export function fileLogStore(file: string): TransparencyLogStore {
  const readLines = (): Uint8Array[] => {
    if (!existsSync(file)) return [];
    const bytes = readFileSync(file);
    if (bytes.length === 0) return [];
    if (bytes[bytes.length - 1] !== NEWLINE) {
      throw new Cce4longError("TRANSPARENCY_LOG_INVALID", "transparency log file ends in a partial line", {
        detail: { file },
      });
    }
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== NEWLINE) continue;
      lines.push(new Uint8Array(bytes.subarray(start, i)));
      start = i + 1;
    }
    return lines;
  };
  return {
    async readAll() {
      return readLines();
    },
    async append(index, data) {
      if (data.includes(NEWLINE)) {
        throw new Cce4longError("VALIDATION_FAILED", "a transparency log entry may not contain a newline");
      }
      const size = readLines().length;
      if (index !== size) {
        throw new Cce4longError("CONFLICT", `transparency log has ${size} leaves, not ${index}`, {
          detail: { file },
        });
      }
      mkdirSync(dirname(file), { recursive: true });
      const line = new Uint8Array(data.length + 1);
      line.set(data);
      line[data.length] = NEWLINE;
      const fd = openSync(file, "a", 0o644);
      try {
        writeSync(fd, line);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
