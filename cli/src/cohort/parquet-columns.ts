/**
 * Parquet column layout of the cohort (runs on the user's machine): strings as UTF8, integers as
 * INT32, measurements as DOUBLE, date_of_birth as DATE; every column REQUIRED (there are no nulls).
 */

import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import type { SchemaElement } from "hyparquet";
import type { ColumnSource } from "hyparquet-writer";
import type { CohortRow } from "./model";

export function parquetSchema(): SchemaElement[] {
  const columns = LONGEVITY_COHORT_SCHEMA.columns;
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((c): SchemaElement => {
      switch (c.type) {
        case "integer":
          return { name: c.name, type: "INT32", repetition_type: "REQUIRED" };
        case "number":
          return { name: c.name, type: "DOUBLE", repetition_type: "REQUIRED" };
        case "date":
          return { name: c.name, type: "INT32", converted_type: "DATE", repetition_type: "REQUIRED" };
        default:
          return { name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" };
      }
    }),
  ];
}

/** Transposes a batch of rows into the writer's column arrays. */
export function toColumnData(rows: readonly CohortRow[]): ColumnSource[] {
  return LONGEVITY_COHORT_SCHEMA.columns.map((c) => {
    const name = c.name as keyof CohortRow;
    const data =
      c.type === "date"
        ? rows.map((r) => new Date(`${r[name]}T00:00:00Z`))
        : c.type === "number"
          ? Float64Array.from(rows, (r) => r[name] as number)
          : c.type === "integer"
            ? Int32Array.from(rows, (r) => r[name] as number)
            : rows.map((r) => r[name]);
    return { name: c.name, data };
  });
}
