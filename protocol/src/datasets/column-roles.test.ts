/**
 * Tests of the dataset column-role schema and the longevity cohort dictionary (runs in Node under vitest).
 */
import { describe, expect, it } from "vitest";
import { columnsWithRole, datasetSchemaSchema } from "./column-roles";
import { LONGEVITY_COHORT_COLUMNS, LONGEVITY_COHORT_SCHEMA } from "./longevity-cohort";

describe("longevity cohort dictionary", () => {
  it("is a valid dataset schema", () => {
    expect(datasetSchemaSchema.safeParse(LONGEVITY_COHORT_SCHEMA).success).toBe(true);
  });

  it("classifies the direct identifiers and quasi-identifiers", () => {
    const schema = datasetSchemaSchema.parse(LONGEVITY_COHORT_SCHEMA);
    expect(columnsWithRole(schema, "direct_identifier")).toEqual([
      "full_name",
      "medical_record_number",
      "date_of_birth",
      "postcode",
    ]);
    expect(columnsWithRole(schema, "quasi_identifier")).toEqual([
      "sex",
      "age_at_baseline",
      "ethnicity",
      "region",
      "postcode_district",
    ]);
    expect(columnsWithRole(schema, "record_key")).toEqual(["participant_id"]);
  });

  it("lists the column names in file order", () => {
    expect(LONGEVITY_COHORT_COLUMNS[0]).toBe("participant_id");
    expect(LONGEVITY_COHORT_COLUMNS.at(-1)).toBe("died");
    expect(LONGEVITY_COHORT_COLUMNS).toHaveLength(LONGEVITY_COHORT_SCHEMA.columns.length);
  });
});

describe("dataset schema validation", () => {
  const base = { name: "x", version: 1 };

  it("error: a quasi-identifier without a generalization", () => {
    const result = datasetSchemaSchema.safeParse({
      ...base,
      columns: [{ name: "age", type: "integer", role: "quasi_identifier", description: "age" }],
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("needs a generalization");
  });

  it("error: duplicate column names", () => {
    const col = { name: "a", type: "number", role: "attribute", description: "a" };
    expect(datasetSchemaSchema.safeParse({ ...base, columns: [col, col] }).success).toBe(false);
  });

  it("error: unknown role, unknown key, bad name, category without categories", () => {
    const bad = [
      { name: "a", type: "number", role: "secret", description: "a" },
      { name: "a", type: "number", role: "attribute", description: "a", extra: 1 },
      { name: "Bad Name", type: "number", role: "attribute", description: "a" },
      { name: "a", type: "category", role: "attribute", description: "a" },
    ];
    for (const column of bad) {
      expect(datasetSchemaSchema.safeParse({ ...base, columns: [column] }).success).toBe(false);
    }
  });
});
