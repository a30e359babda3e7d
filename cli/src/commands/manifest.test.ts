/**
 * Tests of `cce4long manifest verify` through the CLI's entry point (runs in Node): a manifest and
 * encrypted outputs released by the review service (against fakes), verified offline, with the
 * files, decrypted with the consumer's key; and each mismatch exiting 4 with its reason.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FILES, harness } from "@cce4long/enclave-runtime/review/test-support";
import { RESULT_OBJECT_KEYS } from "@cce4long/protocol/api/results";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { keccak256, stringToBytes } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../exit-codes";
import { run } from "../main";

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
    return { code: await run(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const JOB = keccak256(stringToBytes("cli-job"));
let dir = "";
let manifestFile = "";
let outputs = "";
let keyFile = "";
let manifestJson: Record<string, unknown> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-manifest-cli-"));
  const h = harness();
  h.chain.addJob(JOB, h.consumer.publicKey);
  await h.service.accept({
    jobId: JOB,
    declared: [],
    files: FILES.map((f) => ({ ...f, bytes: f.bytes.slice() })),
  });
  const bytes = h.objects.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.manifest(JOB)}`);
  manifestJson = JSON.parse(new TextDecoder().decode(bytes));
  manifestFile = join(dir, "manifest.json");
  await writeFile(manifestFile, JSON.stringify(manifestJson));
  outputs = join(dir, "outputs");
  await mkdir(outputs);
  const sealed = h.objects.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.output(JOB, "table.csv")}`);
  await writeFile(join(outputs, "table.csv"), sealed ?? new Uint8Array());
  keyFile = join(dir, "result.key");
  await writeFile(keyFile, Buffer.from(h.consumer.privateKey).toString("hex"), { mode: 0o600 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("cce4long manifest verify", () => {
  it("verifies a genuine manifest offline and its encrypted outputs, decrypting them with the result key", async () => {
    const { code, stdout } = await cli(
      "--json",
      "manifest",
      "verify",
      manifestFile,
      "--outputs",
      outputs,
      "--result-key",
      keyFile,
      "--job",
      JOB,
    );
    expect(code).toBe(EXIT.OK);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      verified: true,
      jobId: JOB,
      onChain: false,
      files: [{ path: "table.csv", form: "decrypted" }],
    });
    expect(result.checks).toEqual(
      expect.arrayContaining(["signature", "outputs-commitment", "output-files-decrypted"]),
    );
  });

  it("prints a readable summary that says the chain was not checked", async () => {
    const { code, stdout } = await cli("manifest", "verify", manifestFile);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toMatch(/not checked/);
  });

  const variants: Array<[string, () => Promise<string[]>, RegExp, number]> = [
    [
      "an altered manifest",
      async () => {
        const altered = join(dir, "altered.json");
        await writeFile(altered, JSON.stringify({ ...manifestJson, datasetVersion: 7 }));
        return [altered];
      },
      /altered/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "a manifest for another job than expected",
      async () => [manifestFile, "--job", keccak256(stringToBytes("x"))],
      /not 0x/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "a tampered output file",
      async () => {
        const bad = join(dir, "bad");
        await mkdir(bad, { recursive: true });
        const { readFile } = await import("node:fs/promises");
        const bytes = await readFile(join(outputs, "table.csv"));
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
        await writeFile(join(bad, "table.csv"), bytes);
        return [manifestFile, "--outputs", bad];
      },
      /does not match its hash/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "a plaintext output with other content",
      async () => {
        const plain = join(dir, "plain");
        await mkdir(plain, { recursive: true });
        await writeFile(join(plain, "table.csv"), "group,count\na,3\n");
        return [manifestFile, "--outputs", plain];
      },
      /does not match its hash/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "a missing output",
      async () => {
        const empty = join(dir, "empty");
        await mkdir(empty, { recursive: true });
        return [manifestFile, "--outputs", empty];
      },
      /missing/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "another person's result key",
      async () => {
        const other = join(dir, "other.key");
        await writeFile(other, "11".repeat(32));
        return [manifestFile, "--outputs", outputs, "--result-key", other];
      },
      /not the one/,
      EXIT.VERIFICATION_FAILED,
    ],
    [
      "an RPC URL without a hub",
      async () => ["--rpc-url", "http://127.0.0.1:9", "manifest", "verify", manifestFile],
      /--hub/,
      EXIT.INVALID_INPUT,
    ],
  ];
  it.each(variants)("fails on %s with its reason", async (_name, args, reason, exit) => {
    const argv = await args();
    const full = argv[0]?.startsWith("--") ? argv : ["manifest", "verify", ...argv];
    const { code, stderr } = await cli(...full);
    expect(code).toBe(exit);
    expect(stderr).toMatch(reason);
  });
});
