/**
 * The dataset policy document's signed message (runs anywhere): what the hash binds and what it ignores.
 */
import { describe, expect, it } from "vitest";
import { datasetPolicyMessage, policyHash, policyObjectKey } from "./policies";

describe("dataset policy documents", () => {
  it("the policy hash is over canonical JSON: key order and spacing do not change it", () => {
    expect(policyHash({ minCellCount: 20, survival: { threshold: 30, checkEvents: true } })).toBe(
      policyHash(JSON.parse('{ "survival": {"checkEvents": true, "threshold": 30}, "minCellCount": 20 }')),
    );
  });

  it("error: any change of a value changes the hash", () => {
    expect(policyHash({ minCellCount: 20 })).not.toBe(policyHash({ minCellCount: 21 }));
    expect(policyHash({ minCellCount: 20 })).not.toBe(policyHash({ minCellCount: 20, pRatio: 0.1 }));
  });

  it("the message and the object key take the dataset id in lower case", () => {
    const upper = `0x${"AB".repeat(32)}`;
    const message = datasetPolicyMessage({
      datasetId: upper,
      kind: "gate",
      policy: {},
      version: 3,
      issuedAt: 9,
    });
    expect(message).toMatchObject({ datasetId: upper.toLowerCase(), version: 3n, issuedAt: 9n });
    expect(policyObjectKey(upper, "explore-sample")).toBe(
      `policies/0x${"ab".repeat(32)}/explore-sample.json`,
    );
  });
});
