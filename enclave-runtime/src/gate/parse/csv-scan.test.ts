/**
 * Tests of the byte-level CSV scan (runs in Node under vitest): it must see exactly the records
 * parseCsv sees, so scanning bytes gives the same leakage findings, evidence and row numbers as
 * scanning the parsed table.
 */
import { describe, expect, it } from "vitest";
import { scanForLeakage } from "../fingerprints/scan";
import { asGrid, FIXTURE_ROWS, fixtureIndex } from "../test-support/cohort-fixture";
import { parseCsv } from "./csv";
import { detectSeparatorBytes, scanCsvBytes } from "./csv-scan";

const RAW = asGrid(FIXTURE_ROWS.slice(100, 140));
const [, name, mrn] = RAW[1]!;
const [, name2] = RAW[2]!;
const body = RAW.slice(1)
  .map((r) => r.join(","))
  .join("\n");

const CASES: Record<string, string> = {
  "plain rows with identifiers": `${RAW[0]!.join(",")}\n${body}\n`,
  "CRLF, a BOM, empty lines and a lone CR": `\ufeffa,b\r\n${name},${mrn}\r\n\r\n\n${name2},x\rlast,1`,
  "quoted cells with separators and doubled quotes": `a,b\n"${name}","said ""${mrn}"""\n"x, y",${name2}\n`,
  "text after a closing quote, and an unterminated quote": `a,b\n"${name}"tail,2\n"open,${mrn}\n`,
  "a trailing separator at the end": `a;b\n${name};${mrn};`,
  "empty header lines, then ; separated": `\n\nn;m\n${name};1\n;\n`,
  "non-ASCII cells": `nom,ville\nJosé Müller,Zürich\n${name},Łódź\n`,
  "no header only": "",
};

describe("scanCsvBytes", () => {
  for (const [label, text] of Object.entries(CASES)) {
    it(`scans as parseCsv then scanForLeakage does: ${label}`, () => {
      const bytes = new TextEncoder().encode(text);
      const decoded = new TextDecoder().decode(bytes); // drops a BOM, as the gate's decoder does
      const table = parseCsv(decoded);
      const fromBytes = scanCsvBytes(fixtureIndex(), bytes);
      expect(fromBytes.header).toEqual(table.header);
      expect(fromBytes.scan).toEqual(scanForLeakage(fixtureIndex(), table));
    });
  }

  it("finds identifiers in quoted and unquoted cells, with the output's row numbers", () => {
    const bytes = new TextEncoder().encode(CASES["CRLF, a BOM, empty lines and a lone CR"]!);
    const { scan } = scanCsvBytes(fixtureIndex(), bytes);
    expect(scan.identifierCells.cells).toEqual([
      { row: 0, column: "a", value: name },
      { row: 0, column: "b", value: mrn },
      { row: 1, column: "a", value: name2 },
    ]);
  });

  it("detects the separator as detectSeparator does", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(String.fromCharCode(detectSeparatorBytes(enc("a;b;c\n1,5;2,5;3\n")))).toBe(";");
    expect(String.fromCharCode(detectSeparatorBytes(enc("a\tb\n1\t2\n")))).toBe("\t");
    expect(String.fromCharCode(detectSeparatorBytes(enc("a|b|c\n1|2|3\n")))).toBe("|");
    expect(String.fromCharCode(detectSeparatorBytes(enc("just text\n")))).toBe(",");
  });
});
