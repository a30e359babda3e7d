/**
 * End-to-end upload on the local stack (runs on the developer's machine / CI): a provider registers a
 * dataset on-chain, signs in, and uploads a generated cohort CSV with the SDK (ingest key attested with
 * development evidence, HPKE envelope, presigned URLs, multipart). Checked from outside: the version's
 * manifest root is on-chain, staging is gone, the object store folder holds no plaintext, and the
 * stored ciphertext decrypts under the dataset key to exactly the original bytes.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { ApiClient } from "@cce4long/cli/sdk/api-client";
import { uploadDataset } from "@cce4long/cli/sdk/upload";
import { signUploadAuthorization } from "@cce4long/cli/sdk/upload-authorization";
import { createQuoteVerifier } from "@cce4long/enclave-runtime/attestation/create-quote-verifier";
import { CollateralCache } from "@cce4long/enclave-runtime/attestation/tdx/collateral-cache";
import { sealEnvelope } from "@cce4long/enclave-runtime/ingest/envelope";
import {
  type CreateUploadResponse,
  cce4longHubAbi,
  datasetIdOf,
  parseDeployment,
  segmentedSha256,
  UPLOAD_KEYS,
  type UploadStatus,
} from "@cce4long/protocol";
import { verifyManifest } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { decryptBuffer } from "@cce4long/sealing";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { AwsClient } from "aws4fetch";
import { createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { localAccount } from "../../contracts/scripts/local-accounts";
import { loadOrCreateSecrets } from "../../platform/src/secrets";

const stack = inject("stack");
const deployment = parseDeployment(JSON.parse(readFileSync(stack.deploymentFile, "utf8")));
const hub = deployment.contracts.hub.address;
const chain = defineChain({
  id: stack.chainId,
  name: "anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [stack.rpcUrl] } },
});
const reader = createPublicClient({ chain, transport: http(stack.rpcUrl), pollingInterval: 50 });
const secrets = loadOrCreateSecrets(join(stack.stateDir, "secrets.json"));
const s3 = new AwsClient({
  accessKeyId: secrets.objectStoreAccessKeyId,
  secretAccessKey: secrets.objectStoreSecretAccessKey,
  service: "s3",
  region: "us-east-1",
});
const verifier = createQuoteVerifier({
  deployment: "development",
  tdx: { collateral: new CollateralCache() },
});

let work: string;
let datasetId: Hex;
let csvPath: string;
let csv: Buffer;
let bigPath: string;
let big: Buffer;

async function register(): Promise<Hex> {
  const provider = localAccount("provider");
  const salt = `0x${randomBytes(32).toString("hex")}` as Hex;
  const wallet = createWalletClient({ account: provider, chain, transport: http(stack.rpcUrl) });
  const hash = await wallet.writeContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName: "registerDataset",
    args: [
      salt,
      `0x${"11".repeat(32)}`,
      "https://example.invalid/cohort.json",
      { pricePerPeriod: 1000n, periodSeconds: 86_400, exploreOffered: false, freePreview: false },
      [],
    ],
  } as never);
  expect((await reader.waitForTransactionReceipt({ hash })).status).toBe("success");
  return datasetIdOf(provider.address, salt);
}

async function providerApi(id: Hex): Promise<ApiClient> {
  const api = new ApiClient({ baseUrl: stack.edgeApi });
  await api.signIn(localAccount("provider"), {
    chainId: stack.chainId,
    role: { kind: "provider", datasetId: id },
  });
  return api;
}

async function versionCount(id: Hex): Promise<number> {
  const dataset = (await reader.readContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName: "getDataset",
    args: [id],
  })) as { versionCount: bigint | number };
  return Number(dataset.versionCount);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "cce4long-ingest-it-"));
  csv = Buffer.from(CSV_HEADER + [...cohortRows({ participants: 2000, seed: 42n })].map(csvLine).join(""));
  csvPath = join(work, "cohort.csv");
  writeFileSync(csvPath, csv);
  // Large enough for a multipart upload (the edge API switches above 64 MiB).
  big = randomBytes(70 * 1024 * 1024);
  bigPath = join(work, "imaging.bin");
  writeFileSync(bigPath, big);
  datasetId = await register();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("end-to-end upload", () => {
  it("uploads a cohort CSV and a large file, commits the manifest root on-chain, and leaves only ciphertext", async () => {
    const status = await uploadDataset({
      api: await providerApi(datasetId),
      provider: localAccount("provider"),
      chainId: stack.chainId,
      hub,
      datasetId,
      files: [
        { path: "cohort.csv", source: csvPath },
        { path: "imaging/scan.bin", source: bigPath },
      ],
      verifier,
      stateFile: join(work, "upload-state.json"),
      pollIntervalMs: 250,
      waitMs: 100_000,
    });
    expect(status).toMatchObject({ state: "committed", version: 1, error: null });

    // The chain holds the root; the manifest in the object store matches it.
    const onChain = (await reader.readContract({
      address: hub,
      abi: cce4longHubAbi,
      functionName: "datasetVersionRoot",
      args: [datasetId, 1],
    })) as Hex;
    expect(onChain).toBe(status.manifestRoot);
    const manifestRes = await s3.fetch(
      `${stack.objectStore}/${BUCKETS.datasets}/${UPLOAD_KEYS.manifestByRoot(datasetId, onChain)}`,
    );
    const manifest = verifyManifest(await manifestRes.json(), onChain);
    expect(manifest.entries.map((e) => [e.kind, e.path])).toEqual([
      ["data", "cohort.csv"],
      ["data", "imaging/scan.bin"],
      ["fingerprints", ".cce4long/fingerprints"],
      ["explore-sample", ".cce4long/explore-sample-report.json"],
      ["explore-sample", ".cce4long/explore-sample.csv"],
    ]);
    expect(manifest.entries[0]!.rows).toBe(2000);

    // Staging is empty but for the session record.
    const stagingDir = join(stack.stateDir, "object-store", "objects", BUCKETS.staging);
    const staged = filesUnder(stagingDir).filter((f) => f.includes(datasetId) && !f.includes(".cce4long"));
    expect(staged.filter((f) => !f.includes("sessions"))).toEqual([]);

    // The stored ciphertext decrypts under the dataset key to the very bytes uploaded.
    const key = await new DstackKeyProvider({ endpoint: stack.guestAgentSocket }).datasetKey(datasetId, 1);
    for (const [entry, original] of [
      [manifest.entries[0]!, csv],
      [manifest.entries[1]!, big],
    ] as const) {
      const res = await s3.fetch(`${stack.objectStore}/${BUCKETS.datasets}/${entry.objectKey}`);
      const sealed = new Uint8Array(await res.arrayBuffer());
      expect(sealed.length).toBe(entry.ciphertextBytes);
      expect(Buffer.from(decryptBuffer(sealed, key.key).plaintext).equals(original)).toBe(true);
    }
    key.wipe();

    // No plaintext anywhere in the object store's folder: names, record numbers, a whole row, a slice of the binary.
    const rows = csv.toString("utf8").split("\n");
    const needles: Buffer[] = [
      rows[1]!,
      rows[1]!.split(",")[1]!,
      rows[1]!.split(",")[2]!,
      rows[1000]!.split(",")[2]!,
    ].map((s) => Buffer.from(s));
    needles.push(Buffer.from(big.subarray(5_000_000, 5_000_032)));
    const storeFiles = filesUnder(join(stack.stateDir, "object-store"));
    expect(storeFiles.length).toBeGreaterThan(3);
    for (const file of storeFiles) {
      if (statSync(file).size === 0) continue;
      const bytes = readFileSync(file);
      for (const needle of needles) expect(bytes.includes(needle), `${file} holds plaintext`).toBe(false);
    }
  });

  it("refuses to start an upload for a provider token of another dataset", async () => {
    const other = await register();
    const api = await providerApi(other);
    await expect(
      api.request("POST", `/v1/datasets/${datasetId}/uploads`, { files: [{ path: "x.csv", size: 200 }] }),
    ).rejects.toMatchObject({ code: "AUTH_FORBIDDEN" });
  });

  it("gets presigned URLs the object store refuses for another key, as a GET, or unsigned", async () => {
    const api = await providerApi(datasetId);
    const session = await api.request<{ files: { url: string }[]; uploadId: string }>(
      "POST",
      `/v1/datasets/${datasetId}/uploads`,
      { files: [{ path: "x.csv", size: 200 }] },
    );
    const url = session.files[0]!.url;
    expect(
      (
        await fetch(url.replace(`/${session.uploadId}/0?`, `/${session.uploadId}/1?`), {
          method: "PUT",
          body: "x",
        })
      ).status,
    ).toBe(403);
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url.split("?")[0]!, { method: "PUT", body: "x" })).status).toBe(403);
    expect((await fetch(url, { method: "PUT", body: "y".repeat(200) })).status).toBe(200);
  });

  it("records a failed ingest and commits nothing when the staged envelope is not the one the provider signed", async () => {
    const api = await providerApi(datasetId);
    const before = await versionCount(datasetId);
    const plaintext = Buffer.from("id,value\n1,2\n");
    const path = "signed.csv";
    const envelopeBytes = 93 + 106 + 66 + plaintext.length + 16;
    const session = await api.request<CreateUploadResponse>("POST", `/v1/datasets/${datasetId}/uploads`, {
      files: [{ path, size: envelopeBytes }],
    });
    // A genuine envelope for this dataset, session and path, sealed to the attested ingest key...
    const seal = async () => {
      const pieces: Uint8Array[] = [];
      const source = (async function* () {
        yield plaintext;
      })();
      for await (const piece of sealEnvelope(source, {
        datasetId,
        uploadId: session.uploadId,
        path,
        ingestPublicKey: Buffer.from(session.ingestKey.publicKey, "hex"),
        ingestKeyVersion: session.ingestKey.keyVersion,
        plaintextLength: plaintext.length,
      })) {
        pieces.push(Uint8Array.from(piece));
      }
      return Buffer.concat(pieces);
    };
    const signed = await seal();
    const staged = await seal();
    expect(staged.length).toBe(envelopeBytes);
    expect(staged.equals(signed)).toBe(false);
    // ...but the provider signed another one (same size, other bytes): the edge cannot tell, ingest can.
    const put = await fetch(session.files[0]!.url!, { method: "PUT", body: staged });
    expect(put.status).toBe(200);
    const authorization = await signUploadAuthorization(localAccount("provider"), {
      chainId: stack.chainId,
      hub,
      datasetId,
      uploadId: session.uploadId,
      files: [{ index: 0, path, size: signed.length, sha256: await segmentedSha256(signed) }],
    });
    let status = await api.request<UploadStatus>("POST", `/v1/uploads/${session.uploadId}/complete`, {
      authorization,
    });
    const deadline = Date.now() + 60_000;
    while ((status.state === "queued" || status.state === "ingesting") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = await api.request<UploadStatus>("GET", `/v1/uploads/${session.uploadId}`);
    }
    expect(status).toMatchObject({
      state: "failed",
      version: null,
      error: { code: "UPLOAD_SIGNATURE_INVALID" },
    });
    expect(await versionCount(datasetId)).toBe(before);
  });
});
