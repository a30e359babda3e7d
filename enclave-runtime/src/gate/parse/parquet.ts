/**
 * Parquet outputs as tables (runs inside the TEE), read with hyparquet from memory. Values become
 * cell text (dates as ISO, big integers as digits) so the same rules and scan apply as to CSV.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { cellText } from "../fingerprints/normalize";
import type { Table } from "./table";

export const PARQUET_MAGIC = "PAR1";

export async function parseParquet(bytes: Uint8Array): Promise<Table> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const header = parquetSchema(metadata).children.map((c) => c.element.name);
  const objects = await parquetReadObjects({ file, metadata });
  return {
    header,
    rows: objects.map((o) =>
      header.map((h) =>
        typeof o[h] === "object" && o[h] !== null && !(o[h] instanceof Date)
          ? JSON.stringify(o[h], (_, v) => (typeof v === "bigint" ? String(v) : v))
          : cellText(o[h]),
      ),
    ),
  };
}
