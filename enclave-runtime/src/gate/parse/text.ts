/**
 * Plain text outputs for the leakage scan (runs inside the TEE): each line is a row of tokens (split
 * on whitespace and punctuation that does not occur inside numbers, dates or postcodes), plus the
 * line's word pairs and triples as phrases so that a name or a postcode split over two tokens is found.
 */
import type { ScanTable } from "../fingerprints/scan";

const TOKEN_SPLIT = /[\s,;|()[\]{}<>"'`=:!?*#]+/;

export function textToScanTable(text: string): ScanTable {
  const rows: string[][] = [];
  const phrases: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    const tokens = line.split(TOKEN_SPLIT).filter((t) => t !== "" && t !== "." && t !== "-");
    if (tokens.length === 0) continue;
    rows.push(tokens);
    const grams: string[] = [];
    for (let i = 0; i + 1 < tokens.length; i++) {
      grams.push(`${tokens[i]} ${tokens[i + 1]}`);
      if (i + 2 < tokens.length) grams.push(`${tokens[i]} ${tokens[i + 1]} ${tokens[i + 2]}`);
    }
    phrases.push(grams);
  }
  return { rows, phrases };
}
