/**
 * Tests of `cce4long attest verify` on the real TDX vector, through the CLI's own entry point
 * (runs in Node): output in both forms, and the exit code of every kind of failure.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../exit-codes";
import { run } from "../main";

const VECTORS = join(import.meta.dirname, "../../../test/vectors/tdx");
const QUOTE = join(VECTORS, "tdx_quote");
const COLLATERAL = join(VECTORS, "tdx_quote_collateral.json");
const VALID_AT = "2025-06-19T11:16:03Z";

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-attest-cli-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("cce4long attest verify", () => {
  it("prints UpToDate, the measurement id and the registers of the real quote", async () => {
    const { code, stdout } = await cli(
      "attest",
      "verify",
      "--quote",
      QUOTE,
      "--collateral",
      COLLATERAL,
      "--at",
      VALID_AT,
    );
    expect(code).toBe(EXIT.OK);
    expect(stdout).toContain("tcb status      UpToDate");
    expect(stdout).toContain(
      "measurement id  0xc6f6c6ce8d6c7b35a8fd64a5e1877e5a2a0ad1ce7ccfbb09600d20dbfdb95a18",
    );
    expect(stdout).toContain(
      "mrtd            91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
    );
  });

  it("--json prints one JSON document with every field", async () => {
    const { code, stdout } = await cli(
      "--json",
      "attest",
      "verify",
      "--quote",
      QUOTE,
      "--collateral",
      COLLATERAL,
      "--at",
      VALID_AT,
    );
    expect(code).toBe(EXIT.OK);
    expect(JSON.parse(stdout)).toEqual({
      verified: true,
      teeType: "tdx",
      tcbStatus: "UpToDate",
      advisoryIds: [],
      measurementId: "0xc6f6c6ce8d6c7b35a8fd64a5e1877e5a2a0ad1ce7ccfbb09600d20dbfdb95a18",
      mrtd: "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
      rtmr0:
        "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
      rtmr1:
        "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
      rtmr2:
        "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
      rtmr3: "00".repeat(48),
      reportData:
        "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
      verifiedAt: "2025-06-19T11:16:03.000Z",
    });
  });

  it("exits 4 with the reason when the collateral has expired", async () => {
    const { code, stderr } = await cli(
      "attest",
      "verify",
      "--quote",
      QUOTE,
      "--collateral",
      COLLATERAL,
      "--at",
      "2025-07-19T10:16:04Z",
    );
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    expect(stderr).toMatch(
      /error \[ATTESTATION_INVALID\]: quote verification failed: COLLATERAL_EXPIRED \(TCBInfo expired\)/,
    );
  });

  it("exits 4 for a quote with byte 600 flipped, and says so in --json", async () => {
    const { readFile } = await import("node:fs/promises");
    const tampered = new Uint8Array(await readFile(QUOTE));
    tampered[600] = tampered[600]! ^ 0xff;
    const path = join(dir, "tampered");
    await writeFile(path, tampered);
    const { code, stdout } = await cli(
      "--json",
      "attest",
      "verify",
      "--quote",
      path,
      "--collateral",
      COLLATERAL,
      "--at",
      VALID_AT,
    );
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    expect(JSON.parse(stdout).error).toMatchObject({
      code: "ATTESTATION_INVALID",
      message: expect.stringContaining("QUOTE_SIGNATURE_INVALID"),
    });
  });

  it("exits 4 for a garbage quote file: malformed", async () => {
    const path = join(dir, "garbage");
    await writeFile(path, "definitely not a quote");
    const { code, stderr } = await cli(
      "attest",
      "verify",
      "--quote",
      path,
      "--collateral",
      COLLATERAL,
      "--at",
      VALID_AT,
    );
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    expect(stderr).toContain("QUOTE_MALFORMED");
  });

  it("exits 4 when the policy given does not accept the quote's status", async () => {
    const { code, stderr } = await cli(
      "attest",
      "verify",
      "--quote",
      QUOTE,
      "--collateral",
      COLLATERAL,
      "--at",
      VALID_AT,
      "--accept-tcb",
      "OutOfDate",
    );
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    expect(stderr).toContain("TCB_STATUS_REFUSED");
  });

  it("exits 3 for bad input: a missing file, a collateral file that is not JSON, a time without a zone, Revoked", async () => {
    const notJson = join(dir, "collateral.json");
    await writeFile(notJson, "{");
    const cases = [
      ["--quote", join(dir, "missing"), "--collateral", COLLATERAL, "--at", VALID_AT],
      ["--quote", QUOTE, "--collateral", notJson, "--at", VALID_AT],
      ["--quote", QUOTE, "--collateral", COLLATERAL, "--at", "2025-06-19T11:16:03"],
      ["--quote", QUOTE, "--collateral", COLLATERAL, "--at", "yesterday"],
      ["--quote", QUOTE, "--collateral", COLLATERAL, "--at", VALID_AT, "--accept-tcb", "UpToDate,Revoked"],
    ];
    for (const args of cases) {
      const { code } = await cli("attest", "verify", ...args);
      expect(code, args.join(" ")).toBe(EXIT.INVALID_INPUT);
    }
  });

  it("exits 2 when a required option is missing", async () => {
    const { code } = await cli("attest", "verify", "--quote", QUOTE, "--collateral", COLLATERAL);
    expect(code).toBe(EXIT.USAGE);
  });
});
