/**
 * The deployment file schema (runs anywhere): what parses, how addresses and hashes are normalized,
 * and the error naming each bad field.
 */
import { describe, expect, it } from "vitest";
import { parseDeployment } from "./deployment";

const valid = {
  chainId: 31337,
  contracts: {
    hub: {
      address: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      codeHash: `0x${"AB".repeat(32)}`,
      deployedBlock: 1,
    },
  },
};

describe("parseDeployment", () => {
  it("checksums the address and lower-cases the code hash", () => {
    const parsed = parseDeployment(valid);
    expect(parsed.contracts.hub.address).toBe("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    expect(parsed.contracts.hub.codeHash).toBe(`0x${"ab".repeat(32)}`);
  });

  it("error: each malformed field is named in a CONFIG_INVALID error", () => {
    const cases: [unknown, string][] = [
      [{ ...valid, chainId: 0 }, "chainId"],
      [
        { ...valid, contracts: { hub: { ...valid.contracts.hub, address: "0x1234" } } },
        "contracts.hub.address",
      ],
      [
        { ...valid, contracts: { hub: { ...valid.contracts.hub, codeHash: "0xabc" } } },
        "contracts.hub.codeHash",
      ],
      [
        { ...valid, contracts: { hub: { ...valid.contracts.hub, deployedBlock: -1 } } },
        "contracts.hub.deployedBlock",
      ],
      [{ chainId: 1 }, "contracts"],
      [null, "(root)"],
    ];
    for (const [value, field] of cases) {
      expect(() => parseDeployment(value)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
      expect(() => parseDeployment(value)).toThrow(field);
    }
  });
});
