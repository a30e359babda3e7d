/**
 * Tests of the output parsers (runs in Node under vitest): CSV separators and quoting, JSON shapes,
 * text tokens, and content sniffing.
 */
import { describe, expect, it } from "vitest";
import { sniffContent } from "./content-type";
import { detectSeparator, parseCsv } from "./csv";
import { jsonToTable } from "./json";
import { textToScanTable } from "./text";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("CSV", () => {
  it("detects , ; tab and | separators", () => {
    expect(detectSeparator("a,b,c\n1,2,3\n")).toBe(",");
    expect(detectSeparator("a;b;c\n1,5;2,5;3\n")).toBe(";");
    expect(detectSeparator("a\tb\n1\t2\n")).toBe("\t");
    expect(detectSeparator("a|b|c\n1|2|3\n")).toBe("|");
  });

  it("parses quotes, doubled quotes, CRLF, a BOM and empty lines", () => {
    expect(parseCsv('\ufeffname,note\r\n"Smith, Jane","said ""hi"""\r\n\r\nx,\n')).toEqual({
      header: ["name", "note"],
      rows: [
        ["Smith, Jane", 'said "hi"'],
        ["x", ""],
      ],
    });
  });

  it("keeps an unterminated quote to the end instead of failing", () => {
    expect(parseCsv('a,b\n"open,1\n').rows).toEqual([["open,1\n"]]);
  });
});

describe("JSON", () => {
  it("reads an array of objects, flattening nested fields", () => {
    expect(
      jsonToTable([
        { a: 1, b: { c: "x" } },
        { a: 2, d: null },
      ]),
    ).toEqual({
      header: ["a", "b.c", "d"],
      rows: [
        ["1", "x", ""],
        ["2", "", ""],
      ],
    });
  });

  it("reads columns of equal length", () => {
    expect(jsonToTable({ a: [1, 2], b: ["x", "y"] })).toEqual({
      header: ["a", "b"],
      rows: [
        ["1", "x"],
        ["2", "y"],
      ],
    });
  });

  it("reads an array of arrays with a header row", () => {
    expect(
      jsonToTable([
        ["a", "b"],
        [1, 2],
      ]),
    ).toEqual({ header: ["a", "b"], rows: [["1", "2"]] });
  });

  it("turns every object of any other document into a row", () => {
    const t = jsonToTable({ meta: { n: 3 }, items: { deep: [{ name: "Jane", age: 63 }] } });
    expect(t.rows).toContainEqual(["Jane", "63"]);
    expect(t.rows).toContainEqual(["3"]);
  });
});

describe("text", () => {
  it("splits lines into tokens and word pairs and triples", () => {
    const t = textToScanTable("Patient: Jane Smith, LS6 2AB (age 63)\n\n  \n");
    expect(t.rows).toEqual([["Patient", "Jane", "Smith", "LS6", "2AB", "age", "63"]]);
    expect(t.phrases?.[0]).toContain("Jane Smith");
    expect(t.phrases?.[0]).toContain("LS6 2AB");
  });
});

describe("content sniffing", () => {
  it("recognises images, PDF, Parquet, SVG, text and binary", () => {
    expect(sniffContent(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]))).toBe("png");
    expect(sniffContent(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("jpg");
    expect(sniffContent(bytes("%PDF-1.7\n"))).toBe("pdf");
    expect(sniffContent(bytes("PAR1xxxxxxxxPAR1"))).toBe("parquet");
    expect(sniffContent(bytes('<?xml version="1.0"?><svg width="1"></svg>'))).toBe("svg");
    expect(sniffContent(bytes("a,b\n1,2\n"))).toBe("text");
    expect(sniffContent(new Uint8Array([1, 0, 2, 3]))).toBe("binary");
    expect(sniffContent(new Uint8Array([0xc3, 0x28]))).toBe("binary");
  });
});
