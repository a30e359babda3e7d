/**
 * Test helper (Node, tests and bench only): loads the real Intel TDX quote and collateral from
 * test/vectors/tdx/ with the facts its README records.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TDX_VECTOR_DIR = fileURLToPath(new URL("../../../../test/vectors/tdx/", import.meta.url));

export function loadTdxVector(): { quote: Uint8Array; collateral: Record<string, string> } {
  return {
    quote: new Uint8Array(readFileSync(`${TDX_VECTOR_DIR}tdx_quote`)),
    collateral: JSON.parse(readFileSync(`${TDX_VECTOR_DIR}tdx_quote_collateral.json`, "utf8")),
  };
}

/** From test/vectors/tdx/README.md. */
export const TDX_VECTOR_FACTS = {
  validAt: new Date("2025-06-19T11:16:03Z"),
  tcbInfoIssueDate: new Date("2025-06-19T10:16:03Z"),
  expiresAfter: new Date("2025-07-19T10:16:03Z"),
  platform: { fmspc: "B0C06F000000", ca: "platform" as const },
  mrtd: "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
  rtmr0: "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
  rtmr1: "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
  rtmr2: "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
  rtmr3: "00".repeat(48),
  reportData:
    "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
  measurementId: "0xc6f6c6ce8d6c7b35a8fd64a5e1877e5a2a0ad1ce7ccfbb09600d20dbfdb95a18",
} as const;
